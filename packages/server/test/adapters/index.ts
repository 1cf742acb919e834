/**
 * The HTTP adapter the tests run against: COOKIEJWT_TEST_ADAPTER=fastify (default) | node (what `cookiejwt serve`
 * runs) | express | hono. Each one
 * serves the same service (the same settings, stores and clock) over a real port on 127.0.0.1, through the example
 * app's own composition (`examples/<name>/app.js`), so what is tested is what a user copies.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { CookiejwtService } from '../../src/service/service.js'

/** The adapters the contract suite runs on in-process. */
export const IN_PROCESS_ADAPTERS = ['fastify', 'node', 'express', 'hono'] as const
export type AdapterName = (typeof IN_PROCESS_ADAPTERS)[number]

/** The adapter chosen by COOKIEJWT_TEST_ADAPTER; an unknown name fails loudly instead of testing the default. */
export function testAdapter(env: NodeJS.ProcessEnv = process.env): AdapterName {
  const name = env.COOKIEJWT_TEST_ADAPTER || 'fastify'
  if (!(IN_PROCESS_ADAPTERS as readonly string[]).includes(name)) {
    throw new Error(`COOKIEJWT_TEST_ADAPTER=${name} is not an in-process adapter (${IN_PROCESS_ADAPTERS.join(', ')})`)
  }
  return name as AdapterName
}

/** A listening example app. */
export interface Listening {
  url: string
  close(): Promise<void>
}

/** Starts the example app of `adapter` (express or hono) over `service` on a free port. */
export async function listenExample(adapter: 'express' | 'hono', service: CookiejwtService, staticRoot: string | null): Promise<Listening> {
  const examples = new URL('../../../../examples/', import.meta.url)
  const { createApp } = (await import(new URL(`${adapter}/app.js`, examples).href)) as {
    createApp(service: CookiejwtService, options: { staticRoot: string | null }): any
  }
  const app = createApp(service, { staticRoot })
  let server: Server
  if (adapter === 'express') {
    server = await new Promise<Server>((resolve) => {
      const s: Server = app.listen(0, '127.0.0.1', () => resolve(s))
    })
  } else {
    const { serve } = await import('@hono/node-server')
    server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server
    })
  }
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Starts the node:http adapter (`createNodeHandler`, as `cookiejwt serve` does) over `service` on a free port. */
async function listenNode(service: CookiejwtService, staticRoot: string | null): Promise<Listening> {
  const { createServer } = await import('node:http')
  const { createNodeHandler } = await import('../../src/node.js')
  const server = createServer({ keepAliveTimeout: 72_000 }, createNodeHandler(service, { staticRoot }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A server on the adapter under test, with the Fastify app when that is the adapter. */
export interface AdapterServer extends Listening {
  port: number
  app?: import('fastify').FastifyInstance
}

/**
 * Serves `settings` + `deps` on the adapter chosen by COOKIEJWT_TEST_ADAPTER, on 127.0.0.1 and a free port:
 * Fastify through `buildApp`, Express and Hono through their example apps over the same service options.
 */
export async function serveOnAdapter(
  settings: import('@cookiejwt/core').AuthSettings,
  deps: import('../../src/app.js').AppDeps,
): Promise<AdapterServer> {
  const adapter = testAdapter()
  if (adapter === 'fastify') {
    const { buildApp } = await import('../../src/app.js')
    const app = await buildApp(settings, deps)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}`, port, app, close: () => app.close() }
  }
  const { createService } = await import('../../src/service/service.js')
  const { staticRoot = null, logger: _logger, loggerInstance: _instance, service: given, ...serviceOptions } = deps
  const service = given ?? (await createService(settings, serviceOptions as Parameters<typeof createService>[1]))
  const listening = adapter === 'node' ? await listenNode(service, staticRoot) : await listenExample(adapter, service, staticRoot)
  return {
    url: listening.url,
    port: Number(new URL(listening.url).port),
    async close() {
      await listening.close()
      await service.close()
    },
  }
}
