import type { AdminApi, AdminUser } from '@cookiejwt/react/admin'
import { useState, type FormEvent } from 'react'
import { Alert } from '../alert.js'
import { Field } from '../field.js'
import { splitErrors } from '../messages.js'
import type { ConfirmRequest } from './confirm-dialog.js'

/** Props of {@link SetPasswordForm}. */
export interface SetPasswordFormProps {
  admin: AdminApi
  user: AdminUser
  /** Whether this is the signed-in admin's own account (setting it here signs this browser out too). */
  self: boolean
  confirm: (request: ConfirmRequest) => Promise<boolean>
  onDone: () => void
}

/** Sets a user's password (`POST /api/admin/users/<id>/password/`), after a confirmation: it ends every session. */
export function SetPasswordForm({ admin, user, self, confirm, onDone }: SetPasswordFormProps) {
  const [password, setPassword] = useState('')
  const [again, setAgain] = useState('')
  const [mismatch, setMismatch] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [saved, setSaved] = useState<string | null>(null)

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setSaved(null)
    setError(null)
    setMismatch(password !== again)
    if (password !== again) return
    const ok = await confirm({
      title: `Set a new password for ${user.username}?`,
      message: self
        ? 'You are signed out everywhere at once, this browser included, and sign in again with the new password. (Your profile page changes it without signing you out.)'
        : `${user.username} is signed out everywhere at once and must sign in with the new password.`,
      confirmLabel: 'Set password',
    })
    if (!ok) return
    setBusy(true)
    try {
      await admin.setPassword(user.id, password)
      setPassword('')
      setAgain('')
      setSaved('Password set. Every session of this user has ended.')
      onDone()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const errors = splitErrors(error, ['password'])
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Set a password</h2>
      <form onSubmit={onSubmit} noValidate>
        <Field
          label="New password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          error={errors.fields.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Field
          label="New password again"
          name="password_again"
          type="password"
          autoComplete="new-password"
          required
          value={again}
          error={mismatch ? 'The two passwords differ.' : undefined}
          onChange={(e) => setAgain(e.target.value)}
        />
        <Alert kind="error" message={errors.alert} />
        <Alert kind="success" message={saved} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Setting…' : 'Set password'}
        </button>
      </form>
    </section>
  )
}
