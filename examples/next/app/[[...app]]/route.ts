// The demo single-page app (COOKIEJWT_STATIC_ROOT, else apps/web/dist when built), as `cookiejwt serve` serves it:
// its files, and index.html for every other path. Next.js's own routes (/account, /login, /api/…) come first.
import { readFile, stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import { getEnvService } from '@cookiejwt/next'
import { APP_HEADERS } from '@cookiejwt/server/service'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
}

async function file(root: string, path: string): Promise<string | null> {
  const segments = path.split('/').filter(Boolean).map((s) => { try { return decodeURIComponent(s) } catch { return '\0' } })
  if (segments.some((s) => s === '..' || s.startsWith('.') || /[\\/\0]/.test(s))) return null
  const full = resolve(root, ...segments)
  if (full !== root && !full.startsWith(root + sep)) return null
  return (await stat(full).catch(() => null))?.isFile() ? full : null
}

export async function GET(request: Request): Promise<Response> {
  const { staticRoot } = (await getEnvService()).config
  if (!staticRoot) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } })
  const root = resolve(staticRoot)
  const found = await file(root, new URL(request.url).pathname)
  const path = found ?? join(root, 'index.html')
  const headers = { ...APP_HEADERS, 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }
  const body = await readFile(path).catch(() => null)
  return body ? new Response(body, { headers }) : new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } })
}

export const HEAD = GET

// Run on every request: never prerendered at build time (which would also open a database then).
export const dynamic = 'force-dynamic'
