import { ValidationError, type User } from '@cookiejwt/core'
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely'
import type { DatabaseHandle, DialectName } from '../storage/db.js'
import { guard } from '../storage/errors.js'
import type { Database } from '../storage/schema.js'
import { toUser } from '../storage/users.js'
import { toDbBool } from '../storage/values.js'
import {
  decodeCursor,
  parsePageSize,
  readPage,
  sortKeyExpression,
  type Cursor,
  type Ordering,
  type Page,
  type SortField,
} from './keyset.js'
import { readQueryValue, type RawQuery } from './query.js'

/** The fields `ordering=` accepts (each also with `-` in front); anything else is a 400. */
export const USER_SORT_FIELDS: Readonly<Record<string, SortField>> = {
  id: { column: 'id', unique: true, kind: 'integer', nullable: false },
  username: { column: 'username', unique: true, kind: 'text', nullable: false },
  email: { column: 'email', unique: false, kind: 'text', nullable: false },
  first_name: { column: 'first_name', unique: false, kind: 'text', nullable: false },
  last_name: { column: 'last_name', unique: false, kind: 'text', nullable: false },
  date_joined: { column: 'date_joined', unique: false, kind: 'timestamp', nullable: false },
  last_login: { column: 'last_login', unique: false, kind: 'timestamp', nullable: true },
}

/** The order of the list when `ordering` is absent, as Django's `UserAdmin`. */
export const DEFAULT_USER_ORDERING = 'username'

/** The columns `search=` looks in. */
export const USER_SEARCH_FIELDS = ['username', 'email', 'first_name', 'last_name'] as const

const SEARCH_MAX = 256
const SEARCH_TERMS_MAX = 10
const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  True: true,
  '1': true,
  false: false,
  False: false,
  '0': false,
}

/** A parsed, validated `GET /api/admin/users/` query. */
export interface UserListQuery {
  /** Words of `search`; each must appear (case-insensitively, literally) in one of the search fields. */
  readonly terms: readonly string[]
  readonly isActive?: boolean | undefined
  readonly isStaff?: boolean | undefined
  readonly isSuperuser?: boolean | undefined
  readonly ordering: Ordering
  readonly cursor: Cursor | null
  readonly pageSize: number
}

/** Parses an ordering name of the allow-list; throws a 400 `ordering` field error for anything else. */
export function parseUserOrdering(raw: string | undefined): Ordering {
  const name = raw === undefined || raw === '' ? DEFAULT_USER_ORDERING : raw
  const descending = name.startsWith('-')
  const field = Object.hasOwn(USER_SORT_FIELDS, descending ? name.slice(1) : name)
    ? USER_SORT_FIELDS[descending ? name.slice(1) : name]
    : undefined
  if (!field) {
    throw new ValidationError({
      ordering: [
        `Select a valid choice. Allowed: ${Object.keys(USER_SORT_FIELDS).join(', ')}, each optionally with "-".`,
      ],
    })
  }
  return { name, field, descending }
}

/**
 * Validates the wire query of the user list (`search`, `is_active`, `is_staff`, `is_superuser`, `ordering`,
 * `cursor`, `page_size`); unknown parameters are ignored, as DRF does. Every problem is reported at once, as a
 * `ValidationError` (400) naming the parameters.
 */
export function parseUserListQuery(raw: RawQuery, dialect: DialectName): UserListQuery {
  const errors: Record<string, string[]> = {}
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse()
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      for (const [field, messages] of Object.entries(error.fields)) errors[field] = [...messages]
      return undefined
    }
  }
  const search = attempt(() => readQueryValue(raw, 'search')) ?? ''
  let terms: string[] = []
  if (search.length > SEARCH_MAX)
    errors.search = [`Ensure this field has no more than ${SEARCH_MAX} characters.`]
  else if (search.includes('\u0000')) errors.search = ['Null characters are not allowed.']
  else {
    terms = search.split(/\s+/).filter((t) => t !== '')
    if (terms.length > SEARCH_TERMS_MAX) errors.search = [`Use at most ${SEARCH_TERMS_MAX} words.`]
  }
  const flag = (name: string): boolean | undefined =>
    attempt(() => {
      const value = readQueryValue(raw, name)
      if (value === undefined || value === '') return undefined
      const parsed = Object.hasOwn(BOOLEANS, value) ? BOOLEANS[value] : undefined
      if (parsed === undefined)
        throw new ValidationError({ [name]: ['Must be a valid boolean: true or false.'] })
      return parsed
    })
  const isActive = flag('is_active')
  const isStaff = flag('is_staff')
  const isSuperuser = flag('is_superuser')
  const ordering = attempt(() => parseUserOrdering(readQueryValue(raw, 'ordering')))
  const pageSize = attempt(() => parsePageSize(readQueryValue(raw, 'page_size')))
  let cursor: Cursor | null = null
  const rawCursor = attempt(() => readQueryValue(raw, 'cursor'))
  // A cursor is only judged against a valid ordering; with a bad ordering that error alone is reported.
  if (ordering && rawCursor)
    cursor = attempt(() => decodeCursor(rawCursor, ordering, dialect)) ?? null
  if (Object.keys(errors).length > 0 || !ordering || pageSize === undefined)
    throw new ValidationError(errors)
  return { terms, isActive, isStaff, isSuperuser, ordering, cursor, pageSize }
}

/** Escapes `%`, `_` and the escape character itself, so a search string matches literally inside `LIKE`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/**
 * Case-insensitive "contains", as Django's `icontains`: `LIKE … ESCAPE '\'` on SQLite (ASCII case folding, as
 * Django there), `ILIKE … ESCAPE '\'` on PostgreSQL.
 */
export function containsInsensitive(
  column: string,
  text: string,
  dialect: DialectName,
): RawBuilder<SqlBool> {
  const pattern = `%${escapeLike(text)}%`
  const op = sql.raw(dialect === 'postgres' ? 'ilike' : 'like')
  return sql<SqlBool>`${sql.ref(column)} ${op} ${pattern} escape '\\'`
}

/** Lists users for the admin: search, filters, ordering and keyset pagination over `auth_user`. */
export async function listUsers(handle: DatabaseHandle, query: UserListQuery): Promise<Page<User>> {
  const { dialect } = handle
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the handle's type is the schema today; the cast documents it
  const db = handle.db as Kysely<Database>
  const filtered = () => {
    let q = db.selectFrom('auth_user')
    if (query.isActive !== undefined)
      q = q.where('is_active', '=', toDbBool(dialect, query.isActive))
    if (query.isStaff !== undefined) q = q.where('is_staff', '=', toDbBool(dialect, query.isStaff))
    if (query.isSuperuser !== undefined)
      q = q.where('is_superuser', '=', toDbBool(dialect, query.isSuperuser))
    for (const term of query.terms) {
      q = q.where((eb) =>
        eb.or(USER_SEARCH_FIELDS.map((column) => containsInsensitive(column, term, dialect))),
      )
    }
    return q
  }
  const { field } = query.ordering
  const keyExpression = sortKeyExpression(field, dialect)
  return guard(async () => {
    const page = await readPage(
      {
        fetch: async (where, order, limit) => {
          let q = filtered().selectAll().select(keyExpression.as('sort_key'))
          if (where) q = q.where(where)
          for (const term of order) q = q.orderBy(term)
          return q.limit(limit).execute()
        },
        count: async () =>
          Number(
            (
              await filtered()
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
        positionOf: (row) => ({
          key: field.kind === 'integer' ? Number(row.id) : (row.sort_key as string | number | null),
          id: Number(row.id),
        }),
      },
      query.ordering,
      query.cursor,
      query.pageSize,
      dialect,
    )
    return { ...page, results: page.results.map(({ sort_key: _key, ...row }) => toUser(row)) }
  })
}
