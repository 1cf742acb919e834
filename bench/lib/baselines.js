// The reference servers of every run: the bare node:http floor, Fastify without auth, and the usual peers.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_KEY, makeAccessToken } from './token.js'

const servers = join(dirname(fileURLToPath(import.meta.url)), '..', 'servers')

/** One shared HS256 access token (simplejwt layout, same key) for every peer. */
export const PEER_TOKEN = makeAccessToken({ userId: 1 })

function node(name, file) {
  return () => ({ name, args: [join(servers, file)], env: { BENCH_KEY }, readyPath: '/' })
}

/** Scenario list for the baselines; `bare` must stay first (it is the floor the ratios refer to). */
export function baselineScenarios() {
  const cookie = { cookie: `access_token=${PEER_TOKEN}` }
  const bearer = { authorization: `Bearer ${PEER_TOKEN}` }
  return [
    { id: 'bare', label: 'floor: bare node:http, fixed JSON', server: node('bare', 'bare-http.js'), request: () => ({ path: '/api/me' }) },
    { id: 'fastify', label: 'Fastify, no auth', server: node('fastify', 'fastify-hello.js'), request: () => ({ path: '/api/me' }) },
    { id: 'fastify-jwt-cookie', label: 'peer: Fastify + @fastify/jwt, cookie GET', server: node('fastify-jwt', 'fastify-jwt.js'), request: () => ({ path: '/api/me', headers: cookie }) },
    { id: 'fastify-jwt-bearer', label: 'peer: Fastify + @fastify/jwt, Bearer GET', server: node('fastify-jwt', 'fastify-jwt.js'), request: () => ({ path: '/api/me', headers: bearer }) },
    { id: 'express-jwt-cookie', label: 'peer: Express + jsonwebtoken, cookie GET', server: node('express-jwt', 'express-jwt.js'), request: () => ({ path: '/api/me', headers: cookie }) },
  ]
}
