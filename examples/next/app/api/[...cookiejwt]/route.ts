// Every cookiejwt endpoint under /api/ (login, refresh, logout, me, sessions, tokens, health, ...).
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from '@cookiejwt/next'

// Run on every request: never prerendered at build time (which would also open a database then).
export const dynamic = 'force-dynamic'
