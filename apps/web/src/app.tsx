import { useAuth } from '@cookiejwt/react'
import { useState } from 'react'
import { Alert } from './alert.js'
import { LoginPage } from './login-page.js'
import { describeError } from './messages.js'
import { ProfilePage } from './profile-page.js'

/** The whole demo: a header with the signed-in user and sign-out, then the sign-in or profile page. */
export function App() {
  const { status, user, error, logout } = useAuth()
  const [logoutError, setLogoutError] = useState<unknown>(null)

  async function onLogout() {
    setLogoutError(null)
    try {
      await logout()
    } catch (e) {
      setLogoutError(e)
    }
  }

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
            <span className="who">
              Signed in as <strong>{user.username}</strong>
            </span>
            <button type="button" className="button button-quiet" onClick={() => void onLogout()}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main" className="content">
        <Alert
          kind="error"
          message={logoutError ? describeError(logoutError) : error ? describeError(error) : null}
        />
        {status === 'loading' ? (
          <p className="loading" role="status">
            Loading…
          </p>
        ) : user ? (
          <ProfilePage user={user} />
        ) : (
          <LoginPage />
        )}
      </main>
      <footer className="footer">
        JWTs in HttpOnly cookies · CSRF-protected · refreshed across tabs
      </footer>
    </div>
  )
}
