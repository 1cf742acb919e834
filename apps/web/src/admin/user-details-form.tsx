import type { AdminApi, AdminUser, AdminUserPatch } from '@cookiejwt/react/admin'
import { useState, type FormEvent } from 'react'
import { Alert } from '../alert.js'
import { Field } from '../field.js'
import { splitErrors } from '../messages.js'
import { Checkbox } from './checkbox.js'

const FIELDS = ['email', 'first_name', 'last_name', 'is_staff', 'is_superuser'] as const

/** Props of {@link UserDetailsForm}. */
export interface UserDetailsFormProps {
  admin: AdminApi
  user: AdminUser
  /** Whether the signed-in admin is a superuser (only a superuser changes the staff and superuser flags). */
  canGrant: boolean
  /** Whether this is the signed-in admin's own account (nobody removes their own flags). */
  self: boolean
  onSaved: (user: AdminUser) => void
}

/** Edits email, names and the staff/superuser flags with a `PATCH` of the changed fields only. */
export function UserDetailsForm({ admin, user, canGrant, self, onSaved }: UserDetailsFormProps) {
  const [email, setEmail] = useState(user.email)
  const [firstName, setFirstName] = useState(user.first_name)
  const [lastName, setLastName] = useState(user.last_name)
  const [isStaff, setIsStaff] = useState(user.is_staff)
  const [isSuperuser, setIsSuperuser] = useState(user.is_superuser)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [saved, setSaved] = useState<string | null>(null)

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    const patch: AdminUserPatch = {}
    if (email !== user.email) patch.email = email
    if (firstName !== user.first_name) patch.first_name = firstName
    if (lastName !== user.last_name) patch.last_name = lastName
    if (isStaff !== user.is_staff) patch.is_staff = isStaff
    if (isSuperuser !== user.is_superuser) patch.is_superuser = isSuperuser
    setError(null)
    setSaved(null)
    if (Object.keys(patch).length === 0) {
      setSaved('Nothing to save: no field was changed.')
      return
    }
    setBusy(true)
    try {
      onSaved(await admin.updateUser(user.id, patch))
      setSaved('Changes saved.')
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const errors = splitErrors(error, FIELDS)
  const flagHint = !canGrant
    ? 'Only a superuser can change these.'
    : self
      ? 'You cannot remove your own staff or superuser flag.'
      : undefined
  return (
    <section className="card" aria-labelledby="details-title">
      <h2 id="details-title">Details</h2>
      <form onSubmit={onSubmit} noValidate>
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
          label="First name"
          name="first_name"
          autoComplete="off"
          value={firstName}
          error={errors.fields.first_name}
          onChange={(e) => setFirstName(e.target.value)}
        />
        <Field
          label="Last name"
          name="last_name"
          autoComplete="off"
          value={lastName}
          error={errors.fields.last_name}
          onChange={(e) => setLastName(e.target.value)}
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
          {flagHint && <p className="field-hint">{flagHint}</p>}
        </fieldset>
        <Alert kind="error" message={errors.alert} />
        <Alert kind="success" message={saved} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save changes'}
        </button>
      </form>
    </section>
  )
}
