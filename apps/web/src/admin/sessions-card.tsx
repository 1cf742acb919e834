import type { AdminApi, AdminSession, AdminUser } from '@cookiejwt/react/admin'
import { useState } from 'react'
import { Alert } from '../alert.js'
import { describeAdminError } from '../messages.js'
import type { ConfirmRequest } from './confirm-dialog.js'
import { describeDevice, formatDate } from './format.js'

/** Props of {@link SessionsCard}. */
export interface SessionsCardProps {
  admin: AdminApi
  user: AdminUser
  /** Whether these are the signed-in admin's own sessions. */
  self: boolean
  sessions: AdminSession[] | null
  loadError: unknown
  confirm: (request: ConfirmRequest) => Promise<boolean>
  onChanged: () => void
}

/** A user's sessions (device, IP, created, last used), each revocable, and "revoke all". */
export function SessionsCard({
  admin,
  user,
  self,
  sessions,
  loadError,
  confirm,
  onChanged,
}: SessionsCardProps) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)

  async function run(request: ConfirmRequest, action: () => Promise<void>, message: string) {
    setError(null)
    setDone(null)
    if (!(await confirm(request))) return
    setBusy(true)
    try {
      await action()
      setDone(message)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
      onChanged()
    }
  }

  const revokeOne = (session: AdminSession) =>
    run(
      {
        title: 'Revoke this session?',
        message: session.current
          ? 'This is the session of this browser: you are signed out at once.'
          : `${describeDevice(session.device, session.user_agent)} (${session.ip || 'unknown IP'}) is signed out at once.`,
        confirmLabel: 'Revoke session',
      },
      () => admin.revokeSession(user.id, session.id),
      'Session revoked.',
    )
  const revokeAll = () =>
    run(
      {
        title: `Sign ${user.username} out everywhere?`,
        message: self
          ? 'Every session of yours ends at once, this browser included.'
          : `Every session of ${user.username} ends at once, on every device.`,
        confirmLabel: 'Revoke all sessions',
      },
      () => admin.revokeAllSessions(user.id),
      'Every session was revoked.',
    )

  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <Alert
        kind="error"
        message={error || loadError ? describeAdminError(error ?? loadError) : null}
      />
      <Alert kind="success" message={done} />
      {sessions && (
        <div className="table-wrap">
          <table className="table">
            <caption>
              {sessions.length === 0
                ? 'No active session.'
                : `${sessions.length} active ${sessions.length === 1 ? 'session' : 'sessions'}`}
            </caption>
            {sessions.length > 0 && (
              <>
                <thead>
                  <tr>
                    <th scope="col">Device</th>
                    <th scope="col">IP</th>
                    <th scope="col">Signed in</th>
                    <th scope="col">Last used</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {sessions.map((session) => {
                    const device = describeDevice(session.device, session.user_agent)
                    return (
                      <tr key={session.id}>
                        <th scope="row" title={session.user_agent || undefined}>
                          {device}
                          {session.current && (
                            <>
                              {' '}
                              <span className="badge badge-staff">This browser</span>
                            </>
                          )}
                        </th>
                        <td>{session.ip || '—'}</td>
                        <td className="nowrap">{formatDate(session.created_at, '—')}</td>
                        <td className="nowrap">{formatDate(session.last_used_at, '—')}</td>
                        <td>
                          <button
                            type="button"
                            className="button button-quiet"
                            disabled={busy}
                            aria-label={`Revoke session: ${device}, signed in ${formatDate(session.created_at, '')}`}
                            onClick={() => void revokeOne(session)}
                          >
                            Revoke
                          </button>
                        </td>
                      </tr>
                    )
                  })}
                </tbody>
              </>
            )}
          </table>
        </div>
      )}
      <button
        type="button"
        className="button button-danger-quiet"
        disabled={busy}
        onClick={() => void revokeAll()}
      >
        Revoke all sessions
      </button>
    </section>
  )
}
