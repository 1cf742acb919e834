// Hono on Node (@hono/node-server) with no auth: the framework's own hello route (the Hono adapter's floor).
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/', (c) => c.json({ status: 'ok' }))
app.get('/hello', (c) => c.json({ id: 1, username: 'bench' }))
serve({ fetch: app.fetch, hostname: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT) })
