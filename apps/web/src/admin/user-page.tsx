import type { User } from '@cookiejwt/react'
import type { AdminApi, AdminUser } from '@cookiejwt/react/admin'
import { ApiError } from '@cookiejwt/react'
import { useEffect, useRef, useState } from 'react'
import { Alert } from '../alert.js'
import { describeAdminError } from '../messages.js'
import { Link, navigate } from '../router.js'
import { AdminNav } from './admin-nav.js'
import { useConfirm } from './confirm-dialog.js'
import { formatDate, fullName } from './format.js'
import { SessionsCard } from './sessions-card.js'
import { SetPasswordForm } from './set-password-form.js'
import { UserDetailsForm } from './user-details-form.js'
import { Badges } from './users-table.js'
import { useLoad } from './use-load.js'

/** Props of {@link UserPage}. */
export interface UserPageProps {
  admin: AdminApi
  id: string
  /** The signed-in admin. */
  me: User
}

/** `/admin/users/<id>`: one user with every admin action and that user's sessions. */
export function UserPage({ admin, id, me }: UserPageProps) {
  const loaded = useLoad(() => admin.getUser(id), id)
  const sessions = useLoad(() => admin.listSessions(id), `sessions:${id}`)
  const [user, setUser] = useState<AdminUser | null>(null)
  const [dialog, confirm] = useConfirm()
  const heading = useRef<HTMLHeadingElement>(null)
  const current = user ?? loaded.data
  const flash = (window.history.state as { flash?: string } | null)?.flash ?? null

  useEffect(() => {
    if (current) document.title = `${current.username} · cookiejwt admin`
  }, [current])
  useEffect(() => {
    if (loaded.data) heading.current?.focus()
  }, [loaded.data])

  if (!current) {
    const gone = loaded.error instanceof ApiError && loaded.error.status === 404
    return (
      <div className="stack">
        <AdminNav current="users" />
        <section className="card" aria-labelledby="user-title">
          <h1 id="user-title">{gone ? 'No such user' : 'User'}</h1>
          {loaded.loading && <p role="status">Loading…</p>}
          <Alert
            kind="error"
            message={
              gone
                ? `There is no user with id ${id}: it may have been deleted.`
                : loaded.error
                  ? describeAdminError(loaded.error)
                  : null
            }
          />
          <Link href="/admin">Back to all users</Link>
        </section>
      </div>
    )
  }

  const self = String(current.id) === String(me.id)
  const name = fullName(current)
  const refresh = () => sessions.reload()
  return (
    <div className="stack">
      <AdminNav current="users" />
      <section className="card" aria-labelledby="user-title">
        <p className="crumbs">
          <Link href="/admin">All users</Link>
        </p>
        <h1 id="user-title" ref={heading} tabIndex={-1}>
          {current.username}
          {self && <span className="muted"> (you)</span>}
        </h1>
        <Badges user={current} />
        <Alert kind="success" message={flash} />
        <dl className="facts">
          <div>
            <dt>ID</dt>
            <dd>{current.id}</dd>
          </div>
          <div>
            <dt>Name</dt>
            <dd>{name || '—'}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{current.email || '—'}</dd>
          </div>
          <div>
            <dt>Joined</dt>
            <dd>{formatDate(current.date_joined)}</dd>
          </div>
          <div>
            <dt>Last sign-in</dt>
            <dd>{formatDate(current.last_login)}</dd>
          </div>
        </dl>
        <p className="note">
          <Link href={`/admin/audit?target=${encodeURIComponent(String(current.id))}`}>
            Audit log of changes to {current.username}
          </Link>
        </p>
      </section>
      <div className="grid">
        <UserDetailsForm
          key={String(current.id)}
          admin={admin}
          user={current}
          canGrant={me.is_superuser}
          self={self}
          onSaved={setUser}
        />
        <div className="stack">
          <SetPasswordForm
            admin={admin}
            user={current}
            self={self}
            confirm={confirm}
            onDone={refresh}
          />
          <AccountCard
            admin={admin}
            user={current}
            self={self}
            confirm={confirm}
            onChanged={(next) => {
              setUser(next)
              refresh()
            }}
          />
        </div>
      </div>
      <SessionsCard
        admin={admin}
        user={current}
        self={self}
        sessions={sessions.data}
        loadError={sessions.error}
        confirm={confirm}
        onChanged={refresh}
      />
      {dialog}
    </div>
  )
}

/** Activate or deactivate (confirmed), and delete (confirmed); not offered on one's own account. */
function AccountCard({
  admin,
  user,
  self,
  confirm,
  onChanged,
}: {
  admin: AdminApi
  user: AdminUser
  self: boolean
  confirm: ReturnType<typeof useConfirm>[1]
  onChanged: (user: AdminUser) => void
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)

  async function setActive(active: boolean) {
    setError(null)
    setDone(null)
    if (
      !active &&
      !(await confirm({
        title: `Deactivate ${user.username}?`,
        message: `${user.username} is signed out everywhere at once and cannot sign in until reactivated.`,
        confirmLabel: 'Deactivate',
      }))
    )
      return
    setBusy(true)
    try {
      onChanged(await admin.updateUser(user.id, { is_active: active }))
      setDone(active ? `${user.username} is active again.` : `${user.username} is deactivated.`)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  async function remove() {
    setError(null)
    setDone(null)
    const ok = await confirm({
      title: `Delete ${user.username}?`,
      message: `The account ${user.username} and all its sessions are deleted for good. This cannot be undone.`,
      confirmLabel: 'Delete user',
    })
    if (!ok) return
    setBusy(true)
    try {
      await admin.deleteUser(user.id)
      navigate('/admin', { state: { flash: `User ${user.username} deleted.` } })
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="account-title">
      <h2 id="account-title">Account</h2>
      <p className="lead">
        {user.is_active ? 'Active: this user can sign in.' : 'Inactive: this user cannot sign in.'}
      </p>
      {self && <p className="field-hint">You cannot deactivate or delete your own account.</p>}
      <Alert kind="error" message={error ? describeAdminError(error) : null} />
      <Alert kind="success" message={done} />
      <div className="actions">
        {user.is_active ? (
          <button
            type="button"
            className="button button-danger-quiet"
            disabled={busy || self}
            onClick={() => void setActive(false)}
          >
            Deactivate
          </button>
        ) : (
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => void setActive(true)}
          >
            Activate
          </button>
        )}
        <button
          type="button"
          className="button button-danger"
          disabled={busy || self}
          onClick={() => void remove()}
        >
          Delete user
        </button>
      </div>
    </section>
  )
}
