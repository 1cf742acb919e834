import type { AdminApi } from '@cookiejwt/react/admin'
import { useState, type FormEvent } from 'react'
import { Alert } from '../alert.js'
import { Field } from '../field.js'
import { splitErrors } from '../messages.js'
import { navigate } from '../router.js'
import { Checkbox } from './checkbox.js'

const FIELDS = ['username', 'email', 'password', 'is_staff', 'is_superuser'] as const

/** Creates a user (`POST /api/admin/users/`); the password is checked by the server's rules. */
export function CreateUserForm({ admin, canGrant }: { admin: AdminApi; canGrant: boolean }) {
  const [username, setUsername] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [isStaff, setIsStaff] = useState(false)
  const [isSuperuser, setIsSuperuser] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      const user = await admin.createUser({
        username,
        email,
        password,
        is_staff: isStaff,
        is_superuser: isSuperuser,
      })
      navigate(`/admin/users/${user.id}`, { state: { flash: `User ${user.username} created.` } })
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  const errors = splitErrors(error, FIELDS)
  return (
    <section className="card" aria-labelledby="create-user-title">
      <h2 id="create-user-title">Create a user</h2>
      <form onSubmit={onSubmit} noValidate className="form-grid">
        <Field
          label="Username"
          name="username"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          error={errors.fields.username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="off"
          value={email}
          error={errors.fields.email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          error={errors.fields.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <fieldset className="checks">
          <legend>Role</legend>
          <Checkbox
            label="Staff (can use this admin)"
            checked={isStaff}
            disabled={!canGrant}
            error={errors.fields.is_staff}
            onChange={setIsStaff}
          />
          <Checkbox
            label="Superuser"
            checked={isSuperuser}
            disabled={!canGrant}
            error={errors.fields.is_superuser}
            onChange={setIsSuperuser}
          />
          {!canGrant && (
            <p className="field-hint">Only a superuser can create staff or superusers.</p>
          )}
        </fieldset>
        <Alert kind="error" message={errors.alert} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create user'}
        </button>
      </form>
    </section>
  )
}
