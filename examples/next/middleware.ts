// Edge gate without a database: a valid, unexpired access cookie or a redirect to /login.
import { cookiejwtMiddleware } from '@cookiejwt/next/middleware'

export default cookiejwtMiddleware({ loginPath: '/login' })
export const config = { matcher: ['/account/:path*'] }
