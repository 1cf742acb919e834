import { useId } from 'react'

/** Props of {@link Checkbox}. */
export interface CheckboxProps {
  label: string
  checked: boolean
  onChange: (checked: boolean) => void
  error?: string
  hint?: string
  disabled?: boolean
}

/** A labelled checkbox whose error and hint are tied to it with aria-describedby. */
export function Checkbox({ label, checked, onChange, error, hint, disabled }: CheckboxProps) {
  const id = useId()
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ')
  return (
    <div className="check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => onChange(e.target.checked)}
      />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  )
}
