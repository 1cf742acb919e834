// Builds the service at start-up, so a bad DATABASE_URL or COOKIEJWT_* fails `next start` at once (not `next build`).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs' && process.env.NEXT_PHASE !== 'phase-production-build') {
    const { getService } = await import('@cookiejwt/next')
    await getService()
  }
}
