// Peer: Express + cookie-parser + jsonwebtoken with the secret as a string, as most tutorials write it.
import express from 'express'
import cookieParser from 'cookie-parser'
import jwt from 'jsonwebtoken'

const secret = process.env.BENCH_KEY
const app = express()
app.use(cookieParser())
app.get('/', (_req, res) => {
  res.json({ status: 'ok' })
})
app.get('/api/me', (req, res) => {
  const header = req.headers.authorization
  const token = header?.startsWith('Bearer ') ? header.slice(7) : req.cookies.access_token
  if (!token) {
    res.status(401).json({ detail: 'Authentication credentials were not provided.' })
    return
  }
  try {
    const payload = jwt.verify(token, secret, { algorithms: ['HS256'] })
    res.json({ id: payload.user_id, username: 'bench' })
  } catch {
    res.status(401).json({ detail: 'Given token not valid for any token type' })
  }
})
app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
