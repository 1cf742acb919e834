import { useAccounts } from '@cookiejwt/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { Alert } from '../alert.js'
import { Field } from '../field.js'
import { describeError, fieldErrors } from '../messages.js'
import { Link } from '../router.js'

/** Ask for a reset link; the answer is the same whether or not the address has an account. */
export function ForgotPasswordPage() {
  const accounts = useAccounts()
  const [email, setEmail] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [sentTo, setSentTo] = useState<string | null>(null)
  const heading = useRef<HTMLHeadingElement>(null)

  useEffect(() => heading.current?.focus(), [sentTo])

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      await accounts.requestPasswordReset(email)
      setSentTo(email)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  if (sentTo !== null)
    return (
      <section className="card card-narrow" aria-labelledby="forgot-title">
        <h1 id="forgot-title" ref={heading} tabIndex={-1}>
          Check your email
        </h1>
        <p className="lead">
          If an account uses <strong>{sentTo}</strong>, we sent it a link to choose a new password.
          The link works once.
        </p>
        <Link href="/">Back to sign in</Link>
      </section>
    )

  const fields = fieldErrors(error)
  return (
    <section className="card card-narrow" aria-labelledby="forgot-title">
      <h1 id="forgot-title" ref={heading} tabIndex={-1}>
        Forgot your password?
      </h1>
      <p className="lead">
        Enter the email address of your account and we will send you a link to choose a new one.
      </p>
      <form onSubmit={onSubmit} noValidate>
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
        <Alert kind="error" message={error && !fields.email ? describeError(error) : null} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send the link'}
        </button>
      </form>
      <p className="note">
        <Link href="/">Back to sign in</Link>
      </p>
    </section>
  )
}
