import { useEffect, useRef } from 'react'
import { Link } from '../router.js'

/** The admin's own navigation: users and the audit log, the current one marked with aria-current. */
export function AdminNav({ current }: { current: 'users' | 'audit' }) {
  return (
    <nav className="subnav" aria-label="Admin">
      <Link href="/admin" aria-current={current === 'users' ? 'page' : undefined}>
        Users
      </Link>
      <Link href="/admin/audit" aria-current={current === 'audit' ? 'page' : undefined}>
        Audit log
      </Link>
    </nav>
  )
}

/**
 * Previous/next buttons of a cursor-paginated table; a missing cursor disables its button. When the button just
 * used becomes disabled (the first or last page), focus moves to the other one instead of falling to the page.
 */
export function Pager({
  label,
  previous,
  next,
  onPage,
}: {
  label: string
  previous: string | null
  next: string | null
  onPage: (cursor: string) => void
}) {
  const prevButton = useRef<HTMLButtonElement>(null)
  const nextButton = useRef<HTMLButtonElement>(null)
  const used = useRef<'previous' | 'next' | null>(null)
  useEffect(() => {
    if (used.current === 'next' && next === null) prevButton.current?.focus()
    if (used.current === 'previous' && previous === null) nextButton.current?.focus()
    used.current = null
  }, [previous, next])
  return (
    <nav className="pager" aria-label={label}>
      <button
        ref={prevButton}
        type="button"
        className="button button-quiet"
        disabled={previous === null}
        onClick={() => {
          if (previous === null) return
          used.current = 'previous'
          onPage(previous)
        }}
      >
        ← Previous page
      </button>
      <button
        ref={nextButton}
        type="button"
        className="button button-quiet"
        disabled={next === null}
        onClick={() => {
          if (next === null) return
          used.current = 'next'
          onPage(next)
        }}
      >
        Next page →
      </button>
    </nav>
  )
}
