import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import {
  ImproperlyConfigured,
  normalizeSigningKeys,
  type KeySetFile,
  type SigningKey,
} from '@cookiejwt/core'

/** A key as stored in the key-set file: a validated key plus when it was made. */
export type StoredKey = SigningKey & { createdAt: string }

/** Where the key-set file is: `--file`, else `COOKIEJWT_KEYS_FILE`, else `<data dir>/keys.json`. */
export function keysFilePath(env: NodeJS.ProcessEnv, cwd: string, explicit?: string): string {
  if (explicit) return resolve(cwd, explicit)
  if (env.COOKIEJWT_KEYS_FILE) return resolve(cwd, env.COOKIEJWT_KEYS_FILE)
  return join(resolve(cwd, env.COOKIEJWT_DATA_DIR ?? 'data'), 'keys.json')
}

/**
 * Reads and validates a key-set file. It holds private keys, so it must not be readable by group or others
 * (mode 0600): anything looser is refused, as ssh refuses a world-readable private key.
 */
export function readKeysFile(file: string): StoredKey[] {
  let mode: number
  try {
    mode = statSync(file).mode
  } catch {
    throw new ImproperlyConfigured(`COOKIEJWT_KEYS_FILE: cannot read ${file}`)
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ImproperlyConfigured(
      `COOKIEJWT_KEYS_FILE: ${file} holds private keys but is readable by others; run chmod 600 ${file}`,
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    throw new ImproperlyConfigured(`COOKIEJWT_KEYS_FILE: ${file} is not valid JSON`)
  }
  const keys = (parsed as Partial<KeySetFile> | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ImproperlyConfigured(
      `COOKIEJWT_KEYS_FILE: ${file} must be {"keys": [...]} with at least one key`,
    )
  }
  const valid = normalizeSigningKeys(keys, 'COOKIEJWT_KEYS_FILE keys')
  return valid.map((k, i) => ({ ...k, createdAt: String(keys[i]?.createdAt ?? '') }))
}

/** Writes a key-set file atomically with mode 0600 (a temporary file renamed over the old one). */
export function writeKeysFile(file: string, keys: readonly StoredKey[]): void {
  // Validate before writing: a file the server would refuse is never produced.
  normalizeSigningKeys(
    keys.map(({ createdAt: _c, ...k }) => k),
    'keys',
  )
  mkdirSync(dirname(file), { recursive: true })
  const body: KeySetFile = {
    keys: keys.map((k) => ({
      kid: k.kid,
      algorithm: k.algorithm,
      active: k.active,
      createdAt: k.createdAt,
      ...(k.key !== null ? { key: k.key } : {}),
      ...(k.publicKey !== null ? { publicKey: k.publicKey } : {}),
    })),
  }
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(tmp, 0o600)
  renameSync(tmp, file)
}

/** Whether a key-set file exists. */
export function keysFileExists(file: string): boolean {
  return existsSync(file)
}
