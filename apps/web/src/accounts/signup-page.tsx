import { ApiError, useAccounts } from '@cookiejwt/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { Alert } from '../alert.js'
import { Field } from '../field.js'
import { describeError, fieldErrors } from '../messages.js'
import { MfaEnrollment } from '../mfa-enrollment.js'
import { Link, navigate } from '../router.js'
import { useFeatures } from './use-features.js'

/** Create an account; with email verification on, it ends with "check your email". */
export function SignupPage() {
  const accounts = useAccounts()
  const features = useFeatures()
  const [username, setUsername] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [again, setAgain] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [mismatch, setMismatch] = useState(false)
  const [sentTo, setSentTo] = useState<string | null>(null)
  const heading = useRef<HTMLHeadingElement>(null)

  useEffect(() => heading.current?.focus(), [sentTo, features?.registration])

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setError(null)
    setMismatch(password !== again)
    if (password !== again) return
    setBusy(true)
    try {
      const result = await accounts.register({ username, email, password })
      // Signed in at once (no verification): the app shows the profile by itself.
      if (!result.signedIn) setSentTo(email)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  if (sentTo !== null)
    return (
      <section className="card card-narrow" aria-labelledby="signup-title">
        <h1 id="signup-title" ref={heading} tabIndex={-1}>
          Check your email
        </h1>
        <p className="lead">
          We sent a link to <strong>{sentTo}</strong>. Open it to confirm your address, then sign
          in.
        </p>
        <Link href="/">Go to sign in</Link>
      </section>
    )

  // Created, but the server requires two-factor authentication before the first sign-in.
  if (error instanceof ApiError && error.code === 'mfa_enrollment_required')
    return <MfaEnrollment onRestart={() => navigate('/')} />

  if (features?.registration === false)
    return (
      <section className="card card-narrow" aria-labelledby="signup-title">
        <h1 id="signup-title" ref={heading} tabIndex={-1}>
          Sign-up is closed
        </h1>
        <p className="lead">
          This server does not take new accounts. Ask an administrator for one.
        </p>
        <Link href="/">Go to sign in</Link>
      </section>
    )

  const fields = fieldErrors(error)
  // The server closed sign-up after this page asked (or the question failed): its 404 says so.
  const closed = error !== null && (error as { status?: number }).status === 404
  return (
    <section className="card card-narrow" aria-labelledby="signup-title">
      <h1 id="signup-title" ref={heading} tabIndex={-1}>
        Create an account
      </h1>
      <p className="lead">
        Choose a username and a password; we will send a link to confirm your email address.
      </p>
      <form onSubmit={onSubmit} noValidate>
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
          label="Email address"
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          error={fields.email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters, not a common password, not all digits."
          value={password}
          error={fields.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Field
          label="Password (again)"
          name="password2"
          type="password"
          autoComplete="new-password"
          required
          value={again}
          error={mismatch ? 'The two passwords do not match.' : undefined}
          onChange={(e) => setAgain(e.target.value)}
        />
        <Alert
          kind="error"
          message={
            closed
              ? 'Sign-up is closed on this server. Ask an administrator for an account.'
              : error && Object.keys(fields).length === 0
                ? describeError(error)
                : (fields.non_field_errors ?? null)
          }
        />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p className="note">
        Already have an account? <Link href="/">Sign in</Link>
      </p>
    </section>
  )
}
