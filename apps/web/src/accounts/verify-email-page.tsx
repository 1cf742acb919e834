import { useAccounts } from '@cookiejwt/react'
import { useEffect, useRef, useState } from 'react'
import { Alert } from '../alert.js'
import { describeError } from '../messages.js'
import { Link } from '../router.js'

// One request per key, also when React runs the effect twice (StrictMode): a key works once.
const attempts = new Map<string, Promise<void>>()

/** Opened from the verification email: spends the key and says whether it worked. */
export function VerifyEmailPage({ verificationKey }: { verificationKey: string }) {
  const accounts = useAccounts()
  const [state, setState] = useState<'working' | 'done' | unknown>('working')
  const heading = useRef<HTMLHeadingElement>(null)

  useEffect(() => {
    let live = true
    let attempt = attempts.get(verificationKey)
    if (!attempt) {
      attempt = accounts.verifyEmail(verificationKey)
      attempts.set(verificationKey, attempt)
    }
    attempt.then(
      () => live && setState('done'),
      (e: unknown) => live && setState(e),
    )
    return () => {
      live = false
    }
  }, [accounts, verificationKey])
  useEffect(() => heading.current?.focus(), [state])

  if (state === 'working')
    return (
      <p className="loading" role="status">
        Confirming your email address…
      </p>
    )
  const ok = state === 'done'
  return (
    <section className="card card-narrow" aria-labelledby="verify-title">
      <h1 id="verify-title" ref={heading} tabIndex={-1}>
        {ok ? 'Email address confirmed' : 'This link did not work'}
      </h1>
      {ok ? (
        <p className="lead">Thank you: your email address is confirmed. You can sign in now.</p>
      ) : (
        <>
          <p className="lead">
            The link is invalid, was already used, or has expired. Sign in to get a new one.
          </p>
          <Alert
            kind="error"
            message={(state as { status?: number }).status === 400 ? null : describeError(state)}
          />
        </>
      )}
      <Link href="/">Go to sign in</Link>
    </section>
  )
}
