import { ApiError, useTotp } from '@cookiejwt/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { Alert } from './alert.js'
import { Field } from './field.js'
import { describeError, fieldErrors } from './messages.js'
import { BackupCodes, TotpSecret } from './totp-parts.js'

/**
 * Security settings: two-factor authentication with an authenticator app (TOTP). Turning it on shows a QR code of
 * the `otpauth://` URL (and the secret, to type in), asks for a first code, then shows the ten backup codes once.
 * Turning it off, or getting new backup codes, asks for the password.
 */
export function SecurityPage() {
  const totp = useTotp()
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])
  const status = totp.status

  return (
    <div className="stack">
      <section className="card" aria-labelledby="security-title">
        <h1 id="security-title" ref={heading} tabIndex={-1}>
          Security
        </h1>
        <h2>Two-factor authentication</h2>
        {status === null ? (
          totp.error ? (
            <Alert kind="error" message={describeError(totp.error)} />
          ) : (
            <p className="loading" role="status">
              Loading…
            </p>
          )
        ) : status.enabled ? (
          <p className="lead" data-field="mfa-status">
            On: signing in asks for a code from your authenticator app.{' '}
            {status.backup_codes_remaining} backup code{status.backup_codes_remaining === 1 ? '' : 's'} left.
          </p>
        ) : (
          <p className="lead" data-field="mfa-status">
            Off: your password alone signs you in. Add an authenticator app (Google Authenticator, Aegis, 1Password, …)
            so that a stolen password is not enough.
          </p>
        )}
        {totp.backupCodes && <BackupCodes codes={totp.backupCodes} onDone={totp.dismissCodes} />}
        {status && !status.enabled && !totp.backupCodes && <Enrol totp={totp} />}
      </section>
      {status?.enabled && !totp.backupCodes && (
        <div className="grid">
          <PasswordAction
            title="New backup codes"
            text="Replaces your backup codes with ten new ones; the old ones stop working."
            button="Get new backup codes"
            run={(password) => totp.regenerateBackupCodes(password).then(() => undefined)}
          />
          <PasswordAction
            title="Turn off two-factor authentication"
            text="Removes the authenticator app and every backup code from your account."
            button="Turn off"
            danger
            run={totp.disable}
          />
        </div>
      )}
    </div>
  )
}

function Enrol({ totp }: { totp: ReturnType<typeof useTotp> }) {
  const [code, setCode] = useState('')
  const [password, setPassword] = useState('')
  const [askPassword, setAskPassword] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function run(action: () => Promise<unknown>) {
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      await action()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  async function onConfirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    await run(async () => {
      try {
        await totp.confirm(code)
      } finally {
        setCode('')
      }
    })
  }

  async function onBegin(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    await run(async () => {
      try {
        await totp.begin(askPassword ? password : undefined)
      } catch (e) {
        // The session signed in a while ago: adding a factor needs the password again.
        if (e instanceof ApiError && e.code === 'reauthentication_required') {
          setAskPassword(true)
          return
        }
        throw e
      } finally {
        setPassword('')
      }
    })
  }

  const setup = totp.setup
  const fields = fieldErrors(error)
  if (!setup) {
    return (
      <form onSubmit={onBegin} noValidate aria-label="Set up an authenticator app">
        {askPassword && (
          <Field
            label="Your password"
            name="password"
            type="password"
            autoComplete="current-password"
            hint="You signed in a while ago: confirm it is you before adding an authenticator app."
            required
            value={password}
            error={fields.password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
        <Alert kind="error" message={error && !fields.password ? describeError(error) : null} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Starting…' : askPassword ? 'Continue' : 'Set up an authenticator app'}
        </button>
      </form>
    )
  }
  return (
    <form onSubmit={onConfirm} noValidate aria-label="Confirm the authenticator app">
      <ol className="steps">
        <li>
          <TotpSecret setup={setup} />
        </li>
        <li>
          <Field
            label="Code from the app"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            error={fields.code}
            onChange={(e) => setCode(e.target.value)}
          />
        </li>
      </ol>
      <Alert kind="error" message={error && !fields.code ? describeError(error) : null} />
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Checking…' : 'Turn on'}
      </button>
    </form>
  )
}

function PasswordAction(props: {
  title: string
  text: string
  button: string
  danger?: boolean
  run: (password: string) => Promise<void>
}) {
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const id = props.title.toLowerCase().replace(/[^a-z]+/g, '-')

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      await props.run(password)
    } catch (e) {
      setError(e)
    } finally {
      setPassword('')
      setBusy(false)
    }
  }

  const fields = fieldErrors(error)
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      <p className="note">{props.text}</p>
      <form onSubmit={onSubmit} noValidate>
        <Field
          label="Your password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          error={fields.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Alert kind="error" message={error && !fields.password ? describeError(error) : null} />
        <button type="submit" className={props.danger ? 'button button-danger' : 'button'} disabled={busy}>
          {props.button}
        </button>
      </form>
    </section>
  )
}
