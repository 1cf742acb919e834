import { ALGORITHMS, generateSigningKey, type Algorithm } from '@cookiejwt/core'
import { CommandError, type Command } from '../command.js'
import { logSecurityEvent } from '../../security-log.js'
import { commandSecurityLogger } from '../security-log.js'
import {
  keysFileExists,
  keysFilePath,
  readKeysFile,
  writeKeysFile,
  type StoredKey,
} from '../keys-file.js'

const USAGE = `cookiejwt keys <generate|rotate|activate|list> [options]
  generate [--alg EdDSA] [--file F] [--force]   write a new key-set file with one active key
  rotate [--alg A] [--stage] [--keep N] [--file F]
                                                add a new key and make it the signing key (old keys keep
                                                verifying); --stage adds it inactive, for a fleet-wide
                                                deploy before 'activate'; --keep drops all but the N newest
  activate KID [--file F]                       make a staged key the signing key
  list [--file F]                               show key ids, algorithms and which key signs (no secrets)
The file (default: COOKIEJWT_KEYS_FILE or data/keys.json) holds private keys and is written with mode 0600.
Restart the server after a change.`

function algorithmOf(value: unknown, fallback: Algorithm): Algorithm {
  if (value === undefined) return fallback
  if (!ALGORITHMS.includes(value as Algorithm))
    throw new CommandError(`--alg must be one of ${ALGORITHMS.join(', ')}`)
  return value as Algorithm
}

function fresh(
  algorithm: Algorithm,
  active: boolean,
  existing: readonly StoredKey[] = [],
): StoredKey {
  let key = generateSigningKey(algorithm)
  // A kid collision is astronomically unlikely (24 random bits per day), but a duplicate would be refused.
  while (existing.some((k) => k.kid === key.kid)) key = generateSigningKey(algorithm)
  return { ...key, active, createdAt: new Date().toISOString() }
}

/** `cookiejwt keys`: generate, rotate, activate and list signing keys in the key-set file. */
export const keys: Command = {
  name: 'keys',
  summary: 'manage signing keys: generate, rotate, activate, list (key-set file, mode 0600)',
  usage: USAGE,
  options: {
    alg: { type: 'string' },
    file: { type: 'string' },
    force: { type: 'boolean' },
    stage: { type: 'boolean' },
    keep: { type: 'string' },
  },
  async run(context) {
    const [action, ...args] = context.positionals
    const file = keysFilePath(context.env, process.cwd(), context.values.file as string | undefined)
    const out = (line: string) => context.stdout.write(`${line}\n`)
    // The key ids and algorithm only, never key material.
    const audit = (
      event: 'signing_key_rotated' | 'signing_key_activated' | 'signing_keys_generated',
      key: StoredKey,
      reason?: string,
    ) =>
      logSecurityEvent(commandSecurityLogger(context, 'keys'), event, {
        kid: key.kid,
        algorithm: key.algorithm,
        reason,
      })
    switch (action) {
      case 'generate': {
        if (keysFileExists(file) && !context.values.force) {
          throw new CommandError(
            `${file} exists; use 'keys rotate' to add a key (or --force to replace every key and log everyone out)`,
          )
        }
        const key = fresh(algorithmOf(context.values.alg, 'EdDSA'), true)
        writeKeysFile(file, [key])
        audit(
          'signing_keys_generated',
          key,
          context.values.force ? 'replaced_every_key' : undefined,
        )
        out(`Wrote ${file} (mode 0600) with ${key.algorithm} key ${key.kid}.`)
        out(`Start the server with COOKIEJWT_KEYS_FILE=${file}`)
        return 0
      }
      case 'rotate': {
        const current = readKeysFile(file)
        const active = current.find((k) => k.active)
        const key = fresh(
          algorithmOf(context.values.alg, active?.algorithm ?? 'EdDSA'),
          !context.values.stage,
          current,
        )
        let next = [
          ...current.map((k) => ({ ...k, active: context.values.stage ? k.active : false })),
          key,
        ]
        if (context.values.keep !== undefined) {
          const keep = Number(context.values.keep)
          if (!Number.isInteger(keep) || keep < 1)
            throw new CommandError('--keep must be a whole number of at least 1')
          // Keep the newest N, and always the signing key.
          const newest = new Set(next.slice(-keep).map((k) => k.kid))
          next = next.filter((k) => newest.has(k.kid) || k.active)
        }
        writeKeysFile(file, next)
        audit('signing_key_rotated', key, context.values.stage ? 'staged' : 'signing')
        out(
          context.values.stage
            ? `Added ${key.kid} (${key.algorithm}, not signing yet): deploy it everywhere, then run 'cookiejwt keys activate ${key.kid}'.`
            : `Added ${key.kid} (${key.algorithm}); it signs new tokens, older keys still verify. Restart the server.`,
        )
        return 0
      }
      case 'activate': {
        const kid = args[0]
        if (!kid) throw new CommandError('usage: cookiejwt keys activate KID')
        const current = readKeysFile(file)
        const target = current.find((k) => k.kid === kid)
        if (!target) throw new CommandError(`no key ${JSON.stringify(kid)} in ${file}`)
        if (target.key === null)
          throw new CommandError(`key ${kid} has no private key and cannot sign`)
        writeKeysFile(
          file,
          current.map((k) => ({ ...k, active: k.kid === kid })),
        )
        audit('signing_key_activated', target)
        out(`${kid} now signs new tokens. Restart the server.`)
        return 0
      }
      case 'list': {
        const current = readKeysFile(file)
        out(`${'kid'.padEnd(24)} ${'algorithm'.padEnd(9)} ${'role'.padEnd(11)} created`)
        for (const k of current) {
          const role = k.active ? 'signing' : k.key === null ? 'verify-only' : 'verifying'
          out(
            `${k.kid.padEnd(24)} ${k.algorithm.padEnd(9)} ${role.padEnd(11)} ${k.createdAt || '-'}`,
          )
        }
        return 0
      }
      default:
        context.stderr.write(`usage: ${USAGE}\n`)
        return 2
    }
  },
}
