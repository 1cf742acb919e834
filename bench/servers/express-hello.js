// Express 5 with no auth: the framework's own hello route (the floor of the Express adapter's ratio).
import express from 'express'

const app = express()
app.disable('x-powered-by')
app.get('/', (_req, res) => res.json({ status: 'ok' }))
app.get('/hello', (_req, res) => res.json({ id: 1, username: 'bench' }))
app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
