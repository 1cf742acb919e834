import { ApiError, type AuthClient, type User } from '@cookiejwt/react'
import { useState, type FormEvent } from 'react'
import { Alert } from './alert.js'
import { Field } from './field.js'
import { describeError, fieldErrors } from './messages.js'

/**
 * Edits email and names with a CSRF-protected `PATCH /api/auth/me/`. A new email some time after login needs the
 * password again: the server answers `reauthentication_required`, the form asks for it and sends it along.
 */
export function ProfileForm({ user, api }: { user: User; api: AuthClient }) {
  const [email, setEmail] = useState(user.email)
  const [firstName, setFirstName] = useState(user.first_name)
  const [lastName, setLastName] = useState(user.last_name)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const [askPassword, setAskPassword] = useState(false)
  const [password, setPassword] = useState('')

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    setSaved(null)
    try {
      await api.updateMe({ email, first_name: firstName, last_name: lastName, ...(password ? { password } : {}) })
      setSaved('Profile saved.')
      setAskPassword(false)
      setPassword('')
    } catch (e) {
      if (e instanceof ApiError && e.code === 'reauthentication_required') setAskPassword(true)
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const fields = fieldErrors(error)
  return (
    <section className="card" aria-labelledby="edit-title">
      <h2 id="edit-title">Edit profile</h2>
      <form onSubmit={onSubmit} noValidate>
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          value={email}
          error={fields.email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label="First name"
          name="first_name"
          autoComplete="given-name"
          value={firstName}
          error={fields.first_name}
          onChange={(e) => setFirstName(e.target.value)}
        />
        <Field
          label="Last name"
          name="last_name"
          autoComplete="family-name"
          value={lastName}
          error={fields.last_name}
          onChange={(e) => setLastName(e.target.value)}
        />
        {askPassword && (
          <Field
            label="Current password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            error={fields.password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
        <Alert
          kind="error"
          message={error && !Object.keys(fields).length ? describeError(error) : null}
        />
        <Alert kind="success" message={saved} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save profile'}
        </button>
      </form>
    </section>
  )
}
