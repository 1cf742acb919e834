// A bare route handler without cookiejwt: the baseline the benchmark compares GET /api/auth/me/ with.
export function GET(): Response {
  return Response.json({ hello: 'world' })
}

// Run on every request: never prerendered at build time (which would also open a database then).
export const dynamic = 'force-dynamic'
