import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react'

/** What a confirmation asks: a title, one sentence, and the label of the button that goes ahead. */
export interface ConfirmRequest {
  title: string
  message: string
  confirmLabel: string
}

/** Props of {@link ConfirmDialog}. */
export interface ConfirmDialogProps {
  request: ConfirmRequest | null
  onResult: (confirmed: boolean) => void
}

/**
 * A modal confirmation on the native `<dialog>`: `showModal()` makes the rest of the page inert, traps focus
 * and closes on Escape; focus starts on Cancel (the safe choice) and returns to the opener on close.
 */
export function ConfirmDialog({ request, onResult }: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const id = useId()
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (request && !dialog.open) {
      dialog.showModal()
      dialog.querySelector<HTMLButtonElement>('button[data-cancel]')?.focus()
    } else if (!request && dialog.open) dialog.close()
  }, [request])
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-message`}
      onCancel={(event) => {
        // Escape: answer "no" now; the effect closes the dialog once the request is gone.
        event.preventDefault()
        onResult(false)
      }}
      onClose={(event) => {
        // Closed by the browser itself (a second Escape may not be cancelable): still an answer of "no".
        // A late close event of an earlier request finds the dialog open again and is ignored.
        if (request && !event.currentTarget.open) onResult(false)
      }}
    >
      {request && (
        <>
          <h2 id={`${id}-title`}>{request.title}</h2>
          <p id={`${id}-message`}>{request.message}</p>
          <div className="dialog-actions">
            <button type="button" className="button" data-cancel onClick={() => onResult(false)}>
              Cancel
            </button>
            <button type="button" className="button button-danger" onClick={() => onResult(true)}>
              {request.confirmLabel}
            </button>
          </div>
        </>
      )}
    </dialog>
  )
}

/**
 * A confirmation to await: `if (await confirm({...})) doIt()`. Render the returned element once in the page.
 * @example const [dialog, confirm] = useConfirm()
 */
export function useConfirm(): [ReactNode, (request: ConfirmRequest) => Promise<boolean>] {
  const [request, setRequest] = useState<ConfirmRequest | null>(null)
  const resolver = useRef<((confirmed: boolean) => void) | null>(null)
  const confirm = useCallback(
    (next: ConfirmRequest) =>
      new Promise<boolean>((resolve) => {
        resolver.current?.(false)
        resolver.current = resolve
        setRequest(next)
      }),
    [],
  )
  const onResult = useCallback((confirmed: boolean) => {
    resolver.current?.(confirmed)
    resolver.current = null
    setRequest(null)
  }, [])
  return [<ConfirmDialog request={request} onResult={onResult} />, confirm]
}
