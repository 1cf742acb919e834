import {
  AUDIT_ACTIONS,
  toQueryString,
  type AdminApi,
  type AdminPage,
  type AuditEntry,
  type AuditQuery,
} from '@cookiejwt/react/admin'
import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { Alert } from '../alert.js'
import { Field } from '../field.js'
import { splitErrors } from '../messages.js'
import { Link, navigate } from '../router.js'
import { AdminNav, Pager } from './admin-nav.js'
import { describeDevice, describeParty, formatDate, listChanges, partyId } from './format.js'
import { DEFAULT_PAGE_SIZE, parseAuditQuery } from './query.js'
import { useLoad } from './use-load.js'

/** `/admin/audit`: every admin change, newest first, filtered by actor, target and action. */
export function AuditPage({ admin, params }: { admin: AdminApi; params: URLSearchParams }) {
  const query = parseAuditQuery(params)
  const key = toQueryString(query)
  const { data, error, loading } = useLoad(
    () => admin.listAudit({ page_size: DEFAULT_PAGE_SIZE, ...query }),
    key,
  )
  const [actor, setActor] = useState(query.actor ?? '')
  const [target, setTarget] = useState(query.target ?? '')
  const [action, setAction] = useState(query.action ?? '')
  const heading = useRef<HTMLHeadingElement>(null)
  const id = useId()

  useEffect(() => {
    heading.current?.focus()
    document.title = 'Audit log · cookiejwt admin'
  }, [])
  useEffect(() => {
    setActor(query.actor ?? '')
    setTarget(query.target ?? '')
    setAction(query.action ?? '')
  }, [query.actor, query.target, query.action])

  const errors = splitErrors(error, ['actor', 'target'])
  const go = (next: AuditQuery) => navigate(`/admin/audit${toQueryString(next)}`)
  function onFilter(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    go({
      actor: actor.trim() || undefined,
      target: target.trim() || undefined,
      action: action.trim() || undefined,
      page_size: query.page_size,
    })
  }

  return (
    <div className="stack">
      <AdminNav current="audit" />
      <section className="card" aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`} ref={heading} tabIndex={-1}>
          Audit log
        </h1>
        <p className="lead">Every change made in the admin or by the CLI, newest first.</p>
        <form
          role="search"
          className="filters"
          onSubmit={onFilter}
          aria-label="Filter the audit log"
        >
          <Field
            label="Actor (user id)"
            name="actor"
            inputMode="numeric"
            value={actor}
            error={errors.fields.actor}
            onChange={(e) => setActor(e.target.value)}
          />
          <Field
            label="Target (user id)"
            name="target"
            inputMode="numeric"
            value={target}
            error={errors.fields.target}
            onChange={(e) => setTarget(e.target.value)}
          />
          <div className="field">
            <label htmlFor={`${id}-action`}>Action</label>
            <select
              id={`${id}-action`}
              name="action"
              value={action}
              onChange={(e) => setAction(e.target.value)}
            >
              <option value="">Any</option>
              {[...new Set([...AUDIT_ACTIONS, ...(action ? [action] : [])])].map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button">
            Filter
          </button>
          {key && (
            <Link className="button button-quiet" href="/admin/audit">
              Clear filters
            </Link>
          )}
        </form>
        <Alert kind="error" message={errors.alert} />
        <p className="loading-inline" role="status">
          {loading ? (
            'Loading the audit log…'
          ) : data ? (
            <span className="visually-hidden">
              {data.count} {data.count === 1 ? 'entry' : 'entries'}
            </span>
          ) : null}
        </p>
        {data && (
          <>
            <AuditTable page={data} />
            <Pager
              label="Audit log pages"
              previous={data.previous}
              next={data.next}
              onPage={(cursor) => go({ ...query, cursor })}
            />
          </>
        )}
      </section>
    </div>
  )
}

/** The audit rows: time, actor, action, target (linked to their filters), changed fields, IP, device. */
export function AuditTable({ page }: { page: AdminPage<AuditEntry> }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption>
          Audit log: {page.count} {page.count === 1 ? 'entry' : 'entries'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Changes</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {page.results.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No entry matches these filters.
              </td>
            </tr>
          )}
          {page.results.map((row) => {
            const changes = listChanges(row.changes)
            const actorId = partyId(row.actor)
            const targetId = partyId(row.target)
            return (
              <tr key={row.id}>
                <td className="nowrap">{formatDate(row.created_at, '—')}</td>
                <td>
                  {actorId ? (
                    <Link href={`/admin/audit?actor=${encodeURIComponent(actorId)}`}>
                      {describeParty(row.actor)}
                    </Link>
                  ) : (
                    describeParty(row.actor)
                  )}
                </td>
                <td>
                  <code>{row.action}</code>
                </td>
                <td>
                  {targetId ? (
                    <Link href={`/admin/users/${encodeURIComponent(targetId)}`}>
                      {describeParty(row.target)}
                    </Link>
                  ) : (
                    describeParty(row.target)
                  )}
                </td>
                <td>
                  {changes.length ? (
                    <ul className="changes">
                      {changes.map((c) => (
                        <li key={c}>{c}</li>
                      ))}
                    </ul>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {row.ip || '—'}
                  <br />
                  <span className="muted">{describeDevice(null, row.user_agent)}</span>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
