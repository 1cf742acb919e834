import { ApiError, MfaRequiredError, useAuth } from '@cookiejwt/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { useFeatures } from './accounts/use-features.js'
import { Alert } from './alert.js'
import { Field } from './field.js'
import { MfaEnrollment } from './mfa-enrollment.js'
import { describeError, fieldErrors } from './messages.js'
import { Link } from './router.js'

/**
 * The sign-in form (the seed's login form), with clear messages for every failure, and the second step — a code
 * from the authenticator app or a backup code — when the account has two-factor authentication on.
 */
export function LoginPage() {
  const { login, loginMfa } = useAuth()
  // The sign-up link only once the server said sign-up is open.
  const features = useFeatures()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [step, setStep] = useState<'password' | 'code' | 'enrol'>('password')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const heading = useRef<HTMLHeadingElement>(null)

  useEffect(() => heading.current?.focus(), [step])

  async function onPassword(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      await login(username, password)
    } catch (e) {
      setPassword('')
      if (e instanceof MfaRequiredError) {
        setCode('')
        setStep('code')
      } else if (e instanceof ApiError && e.code === 'mfa_enrollment_required') {
        // The account must use two-factor authentication and has none yet: set it up to finish signing in.
        setStep('enrol')
      } else setError(e)
    } finally {
      setBusy(false)
    }
  }

  async function onCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      await loginMfa(code)
    } catch (e) {
      setCode('')
      // The half-finished sign-in expired or was used up: start again from the password.
      if (e instanceof ApiError && (e.code === 'token_not_valid' || e.code === 'mfa_not_enabled'))
        setStep('password')
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const fields = fieldErrors(error)
  if (step === 'enrol') return <MfaEnrollment onRestart={() => setStep('password')} />
  if (step === 'code') {
    return (
      <section className="card card-narrow" aria-labelledby="login-title">
        <h1 id="login-title" ref={heading} tabIndex={-1}>
          Two-factor authentication
        </h1>
        <p className="lead">
          Your password was right. Enter the 6-digit code from your authenticator app, or one of
          your backup codes.
        </p>
        <form onSubmit={onCode} noValidate>
          <Field
            label="Authentication code"
            name="code"
            autoComplete="one-time-code"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={code}
            error={fields.code}
            hint="A backup code looks like xxxxx-xxxxx and works once."
            onChange={(e) => setCode(e.target.value)}
          />
          <Alert kind="error" message={error && !fields.code ? describeError(error) : null} />
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Checking…' : 'Verify'}
            </button>
            <button
              type="button"
              className="button button-quiet"
              onClick={() => {
                setStep('password')
                setError(null)
              }}
            >
              Back
            </button>
          </div>
        </form>
      </section>
    )
  }
  return (
    <section className="card card-narrow" aria-labelledby="login-title">
      <h1 id="login-title" ref={heading} tabIndex={-1}>
        Sign in
      </h1>
      <p className="lead">Use your cookiejwt account. Your session is kept in HttpOnly cookies.</p>
      <form onSubmit={onPassword} noValidate>
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          error={fields.username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          error={fields.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Alert kind="error" message={error ? describeError(error) : null} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="note">
        <Link href="/forgot-password">Forgot your password?</Link>
        {features?.registration ? (
          <>
            {' · '}
            <Link href="/signup">Create an account</Link>
          </>
        ) : null}
      </p>
    </section>
  )
}
