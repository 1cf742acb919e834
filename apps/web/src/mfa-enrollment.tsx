import {
  ApiError,
  enrollmentApi,
  useAuth,
  type EnrollmentResult,
  type TotpSetup,
} from '@cookiejwt/react'
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { Alert } from './alert.js'
import { Field } from './field.js'
import { describeError, fieldErrors } from './messages.js'
import { BackupCodes, TotpSecret } from './totp-parts.js'

/**
 * The enrolment a sign-in (or a sign-up) leads to when the server requires two-factor authentication for the account
 * (`mfa_enrollment_required`): set up an authenticator app, confirm a first code, see the backup codes once, and
 * only then is the user signed in. The half-finished sign-in lasts five minutes; after that, `onRestart`.
 */
export function MfaEnrollment({ onRestart }: { onRestart: () => void }) {
  const { api } = useAuth()
  const enrol = useMemo(() => enrollmentApi(api), [api])
  const [setup, setSetup] = useState<TotpSetup | null>(null)
  const [done, setDone] = useState<EnrollmentResult | null>(null)
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const heading = useRef<HTMLHeadingElement>(null)

  useEffect(() => heading.current?.focus(), [])

  async function run(action: () => Promise<void>) {
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

  const onBegin = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    void run(async () => setSetup(await enrol.setup()))
  }
  const onConfirm = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    void run(async () => {
      try {
        setDone(await enrol.confirm(code))
      } finally {
        setCode('')
      }
    })
  }

  // The enrolment token expired or was used up: only a new sign-in gives another.
  const ended = error instanceof ApiError && error.code === 'token_not_valid'
  const fields = fieldErrors(error)
  return (
    <section className="card card-narrow" aria-labelledby="enrol-title">
      <h1 id="enrol-title" ref={heading} tabIndex={-1}>
        Set up two-factor authentication
      </h1>
      {done ? (
        <BackupCodes
          codes={done.backupCodes}
          onDone={() => api.signedIn(done.user, done.accessExpires)}
        />
      ) : ended ? (
        <>
          <Alert
            kind="error"
            message="This sign-in has expired. Sign in again to set up two-factor authentication."
          />
          <button type="button" className="button button-primary" onClick={onRestart}>
            Sign in again
          </button>
        </>
      ) : !setup ? (
        <form onSubmit={onBegin} noValidate aria-label="Set up an authenticator app">
          <p className="lead">
            Your password was right. This account must use two-factor authentication: add an
            authenticator app (Google Authenticator, Aegis, 1Password, …) to finish signing in.
          </p>
          <Alert kind="error" message={error ? describeError(error) : null} />
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Starting…' : 'Set up an authenticator app'}
            </button>
            <button type="button" className="button button-quiet" onClick={onRestart}>
              Back
            </button>
          </div>
        </form>
      ) : (
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
            {busy ? 'Checking…' : 'Turn on and sign in'}
          </button>
        </form>
      )}
    </section>
  )
}
