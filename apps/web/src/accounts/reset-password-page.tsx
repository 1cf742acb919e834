import { useAccounts } from '@cookiejwt/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { Alert } from '../alert.js'
import { Field } from '../field.js'
import { describeError, fieldErrors } from '../messages.js'
import { Link } from '../router.js'

/** Opened from the reset email: choose a new password; every session of the account ends. */
export function ResetPasswordPage({ uid, token }: { uid: string; token: string }) {
  const accounts = useAccounts()
  const [password, setPassword] = useState('')
  const [again, setAgain] = useState('')
  const [mismatch, setMismatch] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState(false)
  const heading = useRef<HTMLHeadingElement>(null)

  useEffect(() => heading.current?.focus(), [done])

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setError(null)
    setMismatch(password !== again)
    if (password !== again) return
    setBusy(true)
    try {
      await accounts.confirmPasswordReset(uid, token, password)
      setDone(true)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  if (done)
    return (
      <section className="card card-narrow" aria-labelledby="reset-title">
        <h1 id="reset-title" ref={heading} tabIndex={-1}>
          Password changed
        </h1>
        <p className="lead">
          Your new password is set, and every session of your account was signed out.
        </p>
        <Link href="/">Sign in with your new password</Link>
      </section>
    )

  const fields = fieldErrors(error)
  const badLink = fields.token !== undefined || fields.uid !== undefined
  return (
    <section className="card card-narrow" aria-labelledby="reset-title">
      <h1 id="reset-title" ref={heading} tabIndex={-1}>
        Choose a new password
      </h1>
      <form onSubmit={onSubmit} noValidate>
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters, not a common password, not all digits."
          value={password}
          error={fields.new_password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Field
          label="New password (again)"
          name="new_password2"
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
            badLink
              ? 'This reset link is invalid, was already used, or has expired. Ask for a new one.'
              : error && !fields.new_password
                ? describeError(error)
                : null
          }
        />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Set the new password'}
        </button>
      </form>
      <p className="note">
        <Link href="/forgot-password">Ask for a new link</Link>
      </p>
    </section>
  )
}
