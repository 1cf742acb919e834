// cookiejwt as a library: a tiny Fastify app that registers the plugin and one protected route, with the user
// either taken from the token claims (BENCH_STATELESS=1) or loaded from SQLite (simplejwt's default).
import { defineSettings } from '@cookiejwt/core'
import { cookiejwt, KyselyUserStore, openDatabase } from '@cookiejwt/server'
import Fastify from 'fastify'

const stateless = process.env.BENCH_STATELESS === '1'
const settings = defineSettings({ signingKey: process.env.BENCH_KEY, statelessUser: stateless, accessTokenLifetime: 7200 })
const database = await openDatabase(process.env.DATABASE_URL)
const app = Fastify({ logger: false })
await app.register(cookiejwt, { settings, users: new KyselyUserStore(database) })
app.get('/', async () => ({ status: 'ok' }))
app.get('/api/me', { preHandler: app.authenticate }, async (request) => ({ id: request.user.id, username: 'bench' }))
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' })
// Exit cleanly on SIGTERM so `node --cpu-prof` can write its profile (bench/profile.js).
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0))
})
