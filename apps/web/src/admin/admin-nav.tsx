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

/** Previous/next buttons of a cursor-paginated table; a missing cursor disables its button. */
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
  return (
    <nav className="pager" aria-label={label}>
      <button
        type="button"
        className="button button-quiet"
        disabled={previous === null}
        onClick={() => previous !== null && onPage(previous)}
      >
        ← Previous page
      </button>
      <button
        type="button"
        className="button button-quiet"
        disabled={next === null}
        onClick={() => next !== null && onPage(next)}
      >
        Next page →
      </button>
    </nav>
  )
}
