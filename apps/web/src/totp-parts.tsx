import type { TotpSetup } from '@cookiejwt/react'
import { QRCodeSVG } from 'qrcode.react'
import { useEffect, useRef } from 'react'

/** The QR code of a TOTP setup's `otpauth://` URL, and its secret grouped by four for typing in. */
export function TotpSecret({ setup }: { setup: TotpSetup }) {
  return (
    <>
      <p>Scan this QR code with your authenticator app.</p>
      <QRCodeSVG
        value={setup.otpauth_url}
        size={192}
        marginSize={2}
        title="QR code for your authenticator app"
        role="img"
        aria-label="QR code for your authenticator app"
        data-testid="totp-qr"
      />
      <p className="note">
        Cannot scan it? Enter this key instead:{' '}
        <code data-field="totp-secret">{setup.secret.replace(/(.{4})(?=.)/g, '$1 ')}</code>
      </p>
    </>
  )
}

/** The ten backup codes of an enrolment, shown once, with the button that says they were saved. */
export function BackupCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [codes])
  return (
    <div className="backup-codes" aria-labelledby="backup-title">
      <h3 id="backup-title" ref={heading} tabIndex={-1}>
        Your backup codes
      </h3>
      <p>
        Keep these somewhere safe. Each one signs you in once if you lose your phone. They are shown only now.
      </p>
      <ul className="codes" aria-label="Backup codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <button type="button" className="button" onClick={onDone}>
        I have saved them
      </button>
    </div>
  )
}

