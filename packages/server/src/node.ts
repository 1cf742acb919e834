import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import type send from 'send'
import { readNodeBody } from './service/body.js'
import type { CookiejwtService } from './service/service.js'
import type { ServiceRequest, ServiceResponse } from './service/types.js'

/** Describes a `node:http` request for the service. */
export function toServiceRequest(req: IncomingMessage): ServiceRequest {
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress,
    encrypted: Boolean((req.socket as TLSSocket).encrypted),
    readBody: (limit) => readNodeBody(req, limit),
  }
}

/** Writes a service response (one `Set-Cookie` header per cookie). */
export function writeServiceResponse(res: ServerResponse, response: ServiceResponse): void {
  const headers: Record<string, string | string[]> = response.headers
  if (response.cookies.length > 0) headers['set-cookie'] = response.cookies
  if (response.body !== null && headers['content-length'] === undefined) {
    headers['content-length'] = String(Buffer.byteLength(response.body))
  }
  res.writeHead(response.status, headers)
  res.end(response.body ?? undefined)
}

/** Options of `createNodeHandler`. */
export interface NodeHandlerOptions {
  /** A built single-page app served at `/` (index.html for unknown non-API paths). */
  staticRoot?: string | null
}

/**
 * The `node:http` adapter, the one `cookiejwt serve` runs: the service's paths answered by the service, `/api/`
 * paths it does not have answered by its DRF 404, and everything else served from `staticRoot` (with the app's
 * CSP), falling back to `index.html` so deep links work. No framework between the socket and the service.
 * @example
 * createServer(createNodeHandler(service, { staticRoot: 'apps/web/dist' })).listen(8000)
 */
export function createNodeHandler(
  service: CookiejwtService,
  options: NodeHandlerOptions = {},
): RequestListener {
  const root = options.staticRoot ?? null
  const hasApp = root !== null && existsSync(join(root, 'index.html'))
  // `send` (with mime-types' tables, built from mime-db's 190 KB at load) loads on the first page request: at
  // start-up it cost every start about 20 ms and 3 MB (bench/README.md, finding 16).
  let sendLoading: Promise<typeof send> | null = null
  const serveApp = (req: IncomingMessage, res: ServerResponse, request: ServiceRequest): void => {
    const path = (req.url ?? '/').split('?')[0] as string
    if (!hasApp || (req.method !== 'GET' && req.method !== 'HEAD')) {
      writeServiceResponse(res, service.notFound(request))
      return
    }
    sendLoading ??= import('send').then((m) => m.default)
    sendLoading.then(
      (send) => {
        for (const [name, value] of Object.entries(service.appHeaders(request)))
          res.setHeader(name, value)
        // `send` refuses `..` and dotfiles, answers ranges and conditional requests; a miss falls back to index.html.
        send(req, path, { root, index: ['index.html'], dotfiles: 'ignore' })
          .on('error', () => {
            res.setHeader('cache-control', 'no-cache')
            send(req, '/index.html', { root }).pipe(res)
          })
          .on('headers', (response: ServerResponse, file: string) => {
            if (file.endsWith('index.html')) response.setHeader('cache-control', 'no-cache')
          })
          .pipe(res)
      },
      (error: unknown) => writeServiceResponse(res, service.errorResponse(error, request)),
    )
  }
  return (req, res) => {
    const request = toServiceRequest(req)
    service.handle(request).then(
      (response) => {
        if (response !== null) writeServiceResponse(res, response)
        else if ((req.url ?? '').startsWith('/api/'))
          writeServiceResponse(res, service.notFound(request))
        else serveApp(req, res, request)
      },
      (error: unknown) => writeServiceResponse(res, service.errorResponse(error, request)),
    )
  }
}
