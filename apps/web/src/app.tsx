import { useAuth } from '@cookiejwt/react'
import { lazy, Suspense, useEffect, useRef, useState } from 'react'
import { ForgotPasswordPage } from './accounts/forgot-password-page.js'
import { ResetPasswordPage } from './accounts/reset-password-page.js'
import { SignupPage } from './accounts/signup-page.js'
import { VerifyEmailPage } from './accounts/verify-email-page.js'
import { Alert } from './alert.js'
import { LoginPage } from './login-page.js'
import { describeError } from './messages.js'
import { ProfilePage } from './profile-page.js'
import { SecurityPage } from './security-page.js'
import { Link, matchRoute, useLocation } from './router.js'

// The admin is a chunk of its own: people who never open it never download it.
const AdminArea = lazy(() =>
  import('./admin/admin-area.js').then(
    ({ AdminArea }) => ({ default: AdminArea }),
    () => ({
      default: () => (
        <Message
          title="The admin did not load"
          text="Cannot reach the server. Check your connection and reload the page."
        />
      ),
    }),
  ),
)

/**
 * The whole demo: a header with the signed-in user, navigation and sign-out, then the page of the address:
 * the profile at `/`, two-factor authentication at `/security`, the admin under `/admin` (staff only), the sign-in
 * form whenever nobody is signed in.
 */
export function App() {
  const { status, user, error, logout, api } = useAuth()
  const { path, query } = useLocation()
  const route = matchRoute(path)
  const [logoutError, setLogoutError] = useState<unknown>(null)
  const isAdminPage = route.name.startsWith('admin')

  async function onLogout() {
    setLogoutError(null)
    try {
      await logout()
    } catch (e) {
      setLogoutError(e)
    }
  }

  useEffect(() => {
    if (!user || !isAdminPage) document.title = 'cookiejwt demo'
  }, [user, isAdminPage])

  let page
  if (status === 'loading')
    page = (
      <p className="loading" role="status">
        Loading…
      </p>
    )
  // The links of the account emails work signed in or not.
  else if (route.name === 'verify-email') page = <VerifyEmailPage verificationKey={route.key} />
  else if (route.name === 'reset-password') page = <ResetPasswordPage uid={route.uid} token={route.token} />
  else if (!user && route.name === 'signup') page = <SignupPage />
  else if (!user && route.name === 'forgot-password') page = <ForgotPasswordPage />
  else if (!user) page = <LoginPage />
  else if (route.name === 'home' || route.name === 'signup' || route.name === 'forgot-password')
    page = <ProfilePage user={user} />
  else if (route.name === 'security') page = <SecurityPage />
  else if (route.name === 'not-found')
    page = <Message title="Page not found" text="There is no page at this address." />
  else if (!user.is_staff)
    page = (
      <Message
        title="Staff only"
        text="The admin is for staff accounts. Ask an administrator for access."
      />
    )
  else
    page = (
      <Suspense
        fallback={
          <p className="loading" role="status">
            Loading the admin…
          </p>
        }
      >
        <AdminArea api={api} route={route} query={query} me={user} />
      </Suspense>
    )

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">
          <img src="/favicon.svg" alt="" width="28" height="28" /> cookiejwt
        </span>
        {user && (
          <nav className="account" aria-label="Account">
            <Link
              href="/"
              className="nav-link"
              aria-current={route.name === 'home' ? 'page' : undefined}
            >
              Profile
            </Link>
            <Link
              href="/security"
              className="nav-link"
              aria-current={route.name === 'security' ? 'page' : undefined}
            >
              Security
            </Link>
            {user.is_staff && (
              <Link
                href="/admin"
                className="nav-link"
                aria-current={isAdminPage ? 'page' : undefined}
              >
                Admin
              </Link>
            )}
            <span className="who">
              Signed in as <strong>{user.username}</strong>
            </span>
            <button type="button" className="button button-quiet" onClick={() => void onLogout()}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main
        id="main"
        className={isAdminPage && user?.is_staff ? 'content content-wide' : 'content'}
      >
        <Alert
          kind="error"
          message={logoutError ? describeError(logoutError) : error ? describeError(error) : null}
        />
        {page}
      </main>
      <footer className="footer">
        JWTs in HttpOnly cookies · CSRF-protected · refreshed across tabs
      </footer>
    </div>
  )
}

function Message({ title, text }: { title: string; text: string }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])
  return (
    <section className="card card-narrow" aria-labelledby="message-title">
      <h1 id="message-title" ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <p className="lead">{text}</p>
      <Link href="/">Back to your profile</Link>
    </section>
  )
}
