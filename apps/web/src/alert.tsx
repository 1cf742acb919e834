/** Props of {@link Alert}. */
export interface AlertProps {
  kind: 'error' | 'success'
  message: string | null
}

/**
 * A live region that is always in the DOM (so screen readers announce changes): errors are assertive,
 * confirmations polite.
 */
export function Alert({ kind, message }: AlertProps) {
  return (
    <div
      className={message ? `alert alert-${kind}` : 'alert alert-empty'}
      role={kind === 'error' ? 'alert' : 'status'}
      aria-live={kind === 'error' ? 'assertive' : 'polite'}
    >
      {message}
    </div>
  )
}
