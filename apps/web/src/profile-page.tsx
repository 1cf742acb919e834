import { useAuth, type User } from '@cookiejwt/react'
import { useEffect, useRef } from 'react'
import { PasswordForm } from './password-form.js'
import { ProfileForm } from './profile-form.js'

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

function formatDate(value: string | null): string {
  if (!value) return 'Never'
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : dateFormat.format(date)
}

function role(user: User): string {
  if (user.is_superuser) return 'Superuser'
  return user.is_staff ? 'Staff' : 'Member'
}

/** The signed-in page: who you are (`GET /api/auth/me/`), edit profile, change password. */
export function ProfilePage({ user }: { user: User }) {
  const { api } = useAuth()
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ')
  const readable = document.cookie
    .split(';')
    .map((c) => c.split('=')[0]?.trim())
    .filter(Boolean)

  return (
    <div className="stack">
      <section className="card" aria-labelledby="profile-title">
        <h1 id="profile-title" ref={heading} tabIndex={-1}>
          Hello, {name || user.username}
        </h1>
        <dl className="facts">
          <div>
            <dt>Username</dt>
            <dd data-field="username">{user.username}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd data-field="email">{user.email || '—'}</dd>
          </div>
          <div>
            <dt>Name</dt>
            <dd data-field="name">{name || '—'}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{role(user)}</dd>
          </div>
          <div>
            <dt>Member since</dt>
            <dd>{formatDate(user.date_joined)}</dd>
          </div>
          <div>
            <dt>Last sign-in</dt>
            <dd>{formatDate(user.last_login)}</dd>
          </div>
        </dl>
        <p className="note">
          Cookies this page can read: <code>{readable.length ? readable.join(', ') : 'none'}</code>.
          The access and refresh tokens are HttpOnly, out of reach of scripts.
        </p>
      </section>
      <div className="grid">
        <ProfileForm user={user} api={api} key={user.id} />
        <PasswordForm api={api} />
      </div>
    </div>
  )
}
