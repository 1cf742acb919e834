// Every cookiejwt endpoint under /api/ (login, refresh, logout, me, sessions, tokens, health, ...).
export { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } from '@cookiejwt/next'
