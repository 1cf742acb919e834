// Starts the service with the server, so a bad DATABASE_URL or COOKIEJWT_* is logged at once (not at `next build`).
// It must not throw: Next.js would then answer every request with a 500. Until the service can start, the endpoints
// answer 503 and it is tried again (see getEnvService).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs' && process.env.NEXT_PHASE !== 'phase-production-build') {
    const { getService } = await import('@cookiejwt/next')
    await getService().catch(() => undefined) // logged by getEnvService
  }
}
