import { authenticate, toResponse } from '@cookiejwt/next'

// A route of the application's own, authenticated as cookiejwt's endpoints are (401/403 in DRF's shape).
export async function GET(request: Request): Promise<Response> {
  const result = await authenticate(request)
  if (!result.ok) return toResponse(result.response)
  return Response.json({ hello: result.auth!.user.id })
}

// Run on every request: never prerendered at build time (which would also open a database then).
export const dynamic = 'force-dynamic'
