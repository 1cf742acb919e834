// The floor: bare node:http answering a fixed JSON body, no parsing, no auth.
import { createServer } from 'node:http'

const body = JSON.stringify({ id: 1, username: 'bench' })
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length })
  res.end(body)
})
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
