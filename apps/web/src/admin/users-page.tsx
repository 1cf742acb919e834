import { toQueryString, type AdminApi, type AdminUserQuery } from '@cookiejwt/react/admin'
import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { Alert } from '../alert.js'
import { splitErrors } from '../messages.js'
import { navigate } from '../router.js'
import { AdminNav, Pager } from './admin-nav.js'
import { CreateUserForm } from './create-user-form.js'
import { DEFAULT_ORDERING, DEFAULT_PAGE_SIZE, PAGE_SIZES, parseUserQuery } from './query.js'
import { useLoad } from './use-load.js'
import { UsersTable } from './users-table.js'

type Flag = 'is_active' | 'is_staff' | 'is_superuser'

const FILTERS: { flag: Flag; label: string; yes: string; no: string }[] = [
  { flag: 'is_active', label: 'Active', yes: 'Active only', no: 'Inactive only' },
  { flag: 'is_staff', label: 'Staff', yes: 'Staff only', no: 'Not staff' },
  { flag: 'is_superuser', label: 'Superuser', yes: 'Superusers only', no: 'Not superuser' },
]

/** `/admin`: the users table with search, filters, sorting and cursor paging, all kept in the address. */
export function UsersPage({
  admin,
  params,
  canGrant,
}: {
  admin: AdminApi
  params: URLSearchParams
  /** Whether the signed-in admin is a superuser (only a superuser creates staff or superusers). */
  canGrant: boolean
}) {
  const query = parseUserQuery(params)
  const key = toQueryString(query)
  const { data, error, loading } = useLoad(
    () => admin.listUsers({ page_size: DEFAULT_PAGE_SIZE, ...query }),
    key,
  )
  const [search, setSearch] = useState(query.search ?? '')
  const heading = useRef<HTMLHeadingElement>(null)
  const id = useId()
  const flash = (window.history.state as { flash?: string } | null)?.flash ?? null

  useEffect(() => {
    heading.current?.focus()
    document.title = 'Users · cookiejwt admin'
  }, [])
  // Back/forward changes the address, and with it the search box.
  useEffect(() => setSearch(query.search ?? ''), [query.search])

  function go(next: AdminUserQuery) {
    navigate(`/admin${toQueryString(next)}`)
  }
  function change(patch: AdminUserQuery) {
    // A new filter or order starts again at the first page.
    const { cursor: _cursor, ...rest } = query
    go({ ...rest, ...patch })
  }
  function onSearch(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    change({ search: search.trim() || undefined })
  }

  return (
    <div className="stack">
      <AdminNav current="users" />
      <section className="card" aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`} ref={heading} tabIndex={-1}>
          Users
        </h1>
        <Alert kind="success" message={flash} />
        <form role="search" className="filters" onSubmit={onSearch} aria-label="Filter users">
          <div className="field field-grow">
            <label htmlFor={`${id}-search`}>Search</label>
            <input
              id={`${id}-search`}
              type="search"
              name="search"
              placeholder="Username, email or name"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </div>
          {FILTERS.map(({ flag, label, yes, no }) => (
            <div className="field" key={flag}>
              <label htmlFor={`${id}-${flag}`}>{label}</label>
              <select
                id={`${id}-${flag}`}
                name={flag}
                value={query[flag] === undefined ? '' : String(query[flag])}
                onChange={(e) =>
                  change({ [flag]: e.target.value === '' ? undefined : e.target.value === 'true' })
                }
              >
                <option value="">Any</option>
                <option value="true">{yes}</option>
                <option value="false">{no}</option>
              </select>
            </div>
          ))}
          <div className="field">
            <label htmlFor={`${id}-size`}>Per page</label>
            <select
              id={`${id}-size`}
              name="page_size"
              value={String(query.page_size ?? DEFAULT_PAGE_SIZE)}
              onChange={(e) => change({ page_size: Number(e.target.value) })}
            >
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button">
            Search
          </button>
        </form>
        <Alert kind="error" message={splitErrors(error, []).alert} />
        <p className="loading-inline" role="status">
          {loading ? (
            'Loading users…'
          ) : data ? (
            <span className="visually-hidden">
              {data.count} {data.count === 1 ? 'user matches' : 'users match'}
            </span>
          ) : null}
        </p>
        {data && (
          <>
            <UsersTable
              page={data}
              ordering={query.ordering ?? DEFAULT_ORDERING}
              onSort={(ordering) => change({ ordering })}
            />
            <Pager
              label="Users pages"
              previous={data.previous}
              next={data.next}
              onPage={(cursor) => go({ ...query, cursor })}
            />
          </>
        )}
      </section>
      <CreateUserForm admin={admin} canGrant={canGrant} />
    </div>
  )
}
