// A bare route handler without cookiejwt: the baseline the benchmark compares GET /api/auth/me/ with.
export function GET(): Response {
  return Response.json({ hello: 'world' })
}
