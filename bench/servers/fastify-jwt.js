// Peer: Fastify + @fastify/jwt + @fastify/cookie, verifying the HS256 access cookie (or Bearer header).
import Fastify from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifyJwt from '@fastify/jwt'

const app = Fastify({ logger: false })
await app.register(fastifyCookie)
await app.register(fastifyJwt, {
  secret: process.env.BENCH_KEY,
  cookie: { cookieName: 'access_token', signed: false },
  verify: { algorithms: ['HS256'] },
})
app.get('/', async () => ({ status: 'ok' }))
app.get(
  '/api/me',
  {
    onRequest: async (request) => {
      await request.jwtVerify()
    },
  },
  async (request) => ({ id: request.user.user_id, username: 'bench' }),
)
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' })
