// Fastify with no auth: the framework's own cost.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/api/me', async () => ({ id: 1, username: 'bench' }))
app.get('/', async () => ({ id: 1, username: 'bench' }))
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' })
