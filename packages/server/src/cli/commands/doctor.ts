import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ImproperlyConfigured, type AuthSettings } from '@cookiejwt/core'
import { checkSettings } from '../../doctor/check-config.js'
import { checkDatabase } from '../../doctor/check-database.js'
import { checkDeployment } from '../../doctor/check-live.js'
import { formatReport, toReport, type Finding } from '../../doctor/findings.js'
import { CommandError, type Command } from '../command.js'
import { loadConfig } from '../config.js'

function urlOption(value: unknown, name: string): URL | undefined {
  if (value === undefined) return undefined
  try {
    const url = new URL(String(value))
    if (url.protocol === 'http:' || url.protocol === 'https:') return url
  } catch {
    // reported below
  }
  throw new CommandError(
    `${name} must be an http(s) URL like https://api.example.com (got ${JSON.stringify(value)})`,
  )
}

/** What the front end in `dir` uses: axios, and whether any source file sets `withXSRFToken`. Null when unknown. */
export function inspectClient(
  dir: string,
): { usesAxios: boolean; hasWithXSRFToken: boolean } | null {
  const manifest = join(dir, 'package.json')
  if (!existsSync(manifest)) return null
  let pkg: Record<string, Record<string, string> | undefined>
  try {
    pkg = JSON.parse(readFileSync(manifest, 'utf8')) as typeof pkg
  } catch {
    return null
  }
  const usesAxios = Boolean(pkg.dependencies?.axios ?? pkg.devDependencies?.axios)
  if (!usesAxios) return { usesAxios, hasWithXSRFToken: false }
  // Bounded scan of the source folder: enough to find a client module, never the whole disk.
  let budget = 2000
  const scan = (folder: string): boolean => {
    let entries: string[]
    try {
      entries = readdirSync(folder)
    } catch {
      return false
    }
    for (const entry of entries) {
      if (budget-- <= 0) return false
      if (entry === 'node_modules' || entry.startsWith('.') || entry === 'dist') continue
      const path = join(folder, entry)
      const stat = statSync(path)
      if (stat.isDirectory()) {
        if (scan(path)) return true
      } else if (/\.(m?[jt]sx?|vue|svelte)$/.test(entry) && stat.size < 1_000_000) {
        if (readFileSync(path, 'utf8').includes('withXSRFToken')) return true
      }
    }
    return false
  }
  return {
    usesAxios,
    hasWithXSRFToken: scan(existsSync(join(dir, 'src')) ? join(dir, 'src') : dir),
  }
}

/** `cookiejwt doctor`: checks the configuration (from the environment, as `serve`) and optionally a live URL. */
export const doctor: Command = {
  name: 'doctor',
  summary: 'explain what in the configuration or a deployment will break cookie sign-in',
  usage:
    'cookiejwt doctor [--url https://api.example.com] [--app-origin https://app.example.com] [--client DIR] [--json]',
  options: {
    url: { type: 'string' },
    'app-origin': { type: 'string' },
    client: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(context) {
    const apiUrl = urlOption(context.values.url, '--url')
    const appOrigin = urlOption(context.values['app-origin'], '--app-origin')
    const findings: Finding[] = []
    let settings: AuthSettings | null = null
    let database: { url: string; poolMax: number } | null = null
    try {
      const config = loadConfig(context.env)
      settings = config.settings
      database = { url: config.databaseUrl, poolMax: config.databasePoolMax }
    } catch (error) {
      if (!(error instanceof ImproperlyConfigured)) throw error
      findings.push({
        level: 'error',
        code: 'configuration',
        message: `The server would not start: ${error.message}.`,
      })
    }
    if (settings) {
      const client = inspectClient(
        resolve(process.cwd(), (context.values.client as string | undefined) ?? '.'),
      )
      findings.push(
        ...checkSettings(settings, {
          production: context.env.NODE_ENV === 'production',
          ...(apiUrl ? { apiUrl } : {}),
          ...(appOrigin ? { appOrigin } : {}),
          client,
        }),
      )
      if (!client?.usesAxios) {
        findings.push({
          level: 'info',
          code: 'axios-snippet',
          message:
            'Using axios? Set withXSRFToken: true, xsrfCookieName: "csrftoken", xsrfHeaderName: "X-CSRFToken" (see docs/cookies.md).',
        })
      }
    }
    if (settings && database) findings.push(...(await checkDatabase(settings, database)))
    if (apiUrl)
      findings.push(
        ...(await checkDeployment({ url: apiUrl, ...(appOrigin ? { appOrigin } : {}), settings })),
      )
    const report = toReport(findings)
    context.stdout.write(
      context.values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
    )
    return report.ok ? 0 : 1
  },
}
