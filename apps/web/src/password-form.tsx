import type { AuthClient } from '@cookiejwt/react'
import { useState, type FormEvent } from 'react'
import { Alert } from './alert.js'
import { Field } from './field.js'
import { describeError, fieldErrors } from './messages.js'

/** Changes the password (`POST /api/auth/password/change/`). */
export function PasswordForm({ api }: { api: AuthClient }) {
  const [oldPassword, setOldPassword] = useState('')
  const [newPassword, setNewPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [mismatch, setMismatch] = useState(false)
  const [saved, setSaved] = useState<string | null>(null)

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setSaved(null)
    setError(null)
    setMismatch(newPassword !== confirm)
    if (newPassword !== confirm) return
    setBusy(true)
    try {
      await api.changePassword(oldPassword, newPassword)
      setOldPassword('')
      setNewPassword('')
      setConfirm('')
      setSaved('Password changed.')
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const fields = fieldErrors(error)
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form onSubmit={onSubmit} noValidate>
        <Field
          label="Current password"
          name="old_password"
          type="password"
          autoComplete="current-password"
          required
          value={oldPassword}
          error={fields.old_password}
          onChange={(e) => setOldPassword(e.target.value)}
        />
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          required
          value={newPassword}
          error={fields.new_password}
          onChange={(e) => setNewPassword(e.target.value)}
        />
        <Field
          label="Confirm new password"
          name="confirm_password"
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          error={mismatch ? 'The two passwords do not match.' : undefined}
          onChange={(e) => setConfirm(e.target.value)}
        />
        <Alert
          kind="error"
          message={error && !Object.keys(fields).length ? describeError(error) : null}
        />
        <Alert kind="success" message={saved} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  )
}
