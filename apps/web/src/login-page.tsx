import { useAuth } from '@cookiejwt/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { Alert } from './alert.js'
import { Field } from './field.js'
import { describeError, fieldErrors } from './messages.js'

/** The sign-in form (the seed's login form), with clear messages for every failure. */
export function LoginPage() {
  const { login } = useAuth()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const heading = useRef<HTMLHeadingElement>(null)

  useEffect(() => heading.current?.focus(), [])

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      await login(username, password)
    } catch (e) {
      setError(e)
      setPassword('')
    } finally {
      setBusy(false)
    }
  }

  const fields = fieldErrors(error)
  return (
    <section className="card card-narrow" aria-labelledby="login-title">
      <h1 id="login-title" ref={heading} tabIndex={-1}>
        Sign in
      </h1>
      <p className="lead">Use your cookiejwt account. Your session is kept in HttpOnly cookies.</p>
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
    </section>
  )
}
