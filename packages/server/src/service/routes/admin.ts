// Over 300 lines on purpose: every admin route with its full JSON schema (the OpenAPI document is built from them).
import { AuthError, DEFAULT_SETTINGS, isDefaultUserTable, type User } from '@cookiejwt/core'
import { parseAuditQuery, toWireAuditEntry } from '../../admin/audit.js'
import { AdminService, type AdminActor } from '../../admin/service.js'
import { parseUserListQuery } from '../../admin/user-list.js'
import { toAdminSession, toAdminUser } from '../../admin/wire.js'
import { SESSION_ID_CLAIM } from '../../sessions/mint.js'
import type { JsonSchema, RouteContext, RouteDef, ServiceDeps } from '../types.js'
import { optionalString, PASSWORD_MAX, requiredString, USERNAME_MAX } from './schemas.js'

const ID = /^[1-9]\d{0,14}$/
const TAGS = ['admin']
const ANY_STRING = { type: 'string' } as const
const TIMESTAMP = { type: 'string', format: 'date-time' } as const

/** AdminUser: the contract's User plus `is_active`. */
export const adminUserSchema: JsonSchema = {
  type: 'object',
  required: [
    'id',
    'username',
    'email',
    'first_name',
    'last_name',
    'is_active',
    'is_staff',
    'is_superuser',
    'date_joined',
    'last_login',
  ],
  properties: {
    id: { type: 'integer' },
    username: ANY_STRING,
    email: ANY_STRING,
    first_name: ANY_STRING,
    last_name: ANY_STRING,
    is_active: { type: 'boolean' },
    is_staff: { type: 'boolean' },
    is_superuser: { type: 'boolean' },
    date_joined: TIMESTAMP,
    last_login: { type: ['string', 'null'], format: 'date-time' },
  },
}

const party = {
  type: 'object',
  required: ['id', 'username'],
  properties: { id: { type: ['integer', 'null'] }, username: ANY_STRING },
} as const

const auditEntrySchema: JsonSchema = {
  type: 'object',
  required: ['id', 'created_at', 'actor', 'action', 'target', 'changes', 'ip', 'user_agent'],
  properties: {
    id: { type: 'integer' },
    created_at: TIMESTAMP,
    actor: party,
    action: ANY_STRING,
    target: { anyOf: [party, { type: 'null' }] },
    changes: {
      type: 'object',
      additionalProperties: { type: 'object', properties: { old: {}, new: {} } },
    },
    ip: ANY_STRING,
    user_agent: ANY_STRING,
  },
}

const sessionSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'created_at', 'last_used_at', 'user_agent', 'ip', 'device', 'current'],
  properties: {
    id: ANY_STRING,
    created_at: TIMESTAMP,
    last_used_at: TIMESTAMP,
    user_agent: ANY_STRING,
    ip: ANY_STRING,
    device: ANY_STRING,
    current: { type: 'boolean' },
  },
}

function pageOf(item: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['count', 'next', 'previous', 'results'],
    properties: {
      count: { type: 'integer' },
      next: { type: ['string', 'null'] },
      previous: { type: ['string', 'null'] },
      results: { type: 'array', items: item },
    },
  }
}

/** Query parameters are strings; the admin's parsers judge their values (every bad one reported at once). */
function queryOf(names: Record<string, string>): JsonSchema {
  return {
    type: 'object',
    properties: Object.fromEntries(
      Object.entries(names).map(([name, description]) => [name, { type: 'string', description }]),
    ),
  }
}

const editable = {
  email: optionalString(254),
  first_name: optionalString(150),
  last_name: optionalString(150),
  is_active: { type: 'boolean' },
  is_staff: { type: 'boolean' },
  is_superuser: { type: 'boolean' },
} as const

const createBody: JsonSchema = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: requiredString(USERNAME_MAX),
    password: { type: 'string', maxLength: PASSWORD_MAX },
    ...editable,
  },
}

// Unknown fields are refused rather than ignored: a PATCH carrying "password" or "username" must not look applied.
const patchBody: JsonSchema = { type: 'object', additionalProperties: false, properties: editable }

const passwordBody: JsonSchema = {
  type: 'object',
  required: ['password'],
  additionalProperties: false,
  properties: { password: { type: 'string', maxLength: PASSWORD_MAX } },
}

const NO_BODY: JsonSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {},
}
const EMPTY: JsonSchema = { description: 'No content' }
const ACCESS_ERRORS = ['not_authenticated', 'token_not_valid', 'permission_denied']

/**
 * The admin API under `/api/admin/` (docs/http-contract.md, "Admin"): users, their sessions and the audit log, for
 * active staff only. The acting user is loaded from the database on every request, so a demotion counts at once.
 */
export function adminRoutes(deps: ServiceDeps): RouteDef[] {
  // The admin works on Django's auth_user only; with an application's own user table its paths are simply absent
  // (404), and the rest of the service starts as usual.
  if (!isDefaultUserTable(deps.settings.userTable, DEFAULT_SETTINGS.userTable)) return []
  const admin = new AdminService({
    settings: deps.settings,
    database: deps.database,
    hashers: deps.hashers,
    sessions: deps.sessions,
    now: deps.now,
    onWarning: (message, error) => deps.log.warn({ err: error }, message),
  })
  const dialect = deps.database.dialect

  /** The acting admin: 401 anonymous (the service), 403 unless active staff, as the database has them now. */
  const actorOf = async (context: RouteContext): Promise<AdminActor> => {
    const me: User = await context.user()
    // The admin runs on Django's auth_user only (integer ids): AdminService refuses any other user table.
    const actor: AdminActor = { kind: 'user', id: me.id as number }
    await admin.authorize(actor)
    return actor
  }
  const idOf = (context: RouteContext): number => {
    const raw = context.params.id ?? ''
    if (!ID.test(raw) || !Number.isSafeInteger(Number(raw)))
      throw new AuthError('not_found', 'Not found.')
    return Number(raw)
  }
  const client = (context: RouteContext) => context.client

  return [
    {
      method: 'GET',
      path: '/api/admin/users/',
      auth: 'required',
      schema: {
        summary: 'List users: search, filters, ordering, cursor pages',
        tags: TAGS,
        querystring: queryOf({
          search:
            'Words that must each occur in username, email, first or last name (case-insensitive, literal)',
          is_active: 'true or false',
          is_staff: 'true or false',
          is_superuser: 'true or false',
          ordering:
            'id, username, email, first_name, last_name, date_joined or last_login, "-" for descending; default username',
          cursor: 'next or previous of an earlier page',
          page_size: '1 to 100 (more is read as 100); default 25',
        }),
        response: { 200: pageOf(adminUserSchema) },
        errors: [...ACCESS_ERRORS, 'invalid'],
      },
      async handler(context) {
        await actorOf(context)
        const page = await admin.listUsers(parseUserListQuery(context.query, dialect))
        return { body: { ...page, results: page.results.map(toAdminUser) } }
      },
    },
    {
      method: 'POST',
      path: '/api/admin/users/',
      auth: 'required',
      schema: {
        summary: 'Create a user (password checked as createsuperuser checks it)',
        tags: TAGS,
        body: createBody,
        response: { 201: adminUserSchema },
        errors: [...ACCESS_ERRORS, 'invalid'],
      },
      async handler(context) {
        const actor = await actorOf(context)
        const b = context.body as Record<string, string | boolean | undefined>
        const user = await admin.createUser(actor, client(context), {
          username: b.username as string,
          password: b.password as string,
          ...(b.email !== undefined ? { email: b.email as string } : {}),
          ...(b.first_name !== undefined ? { firstName: b.first_name as string } : {}),
          ...(b.last_name !== undefined ? { lastName: b.last_name as string } : {}),
          ...(b.is_active !== undefined ? { isActive: b.is_active as boolean } : {}),
          ...(b.is_staff !== undefined ? { isStaff: b.is_staff as boolean } : {}),
          ...(b.is_superuser !== undefined ? { isSuperuser: b.is_superuser as boolean } : {}),
        })
        return { status: 201, body: toAdminUser(user) }
      },
    },
    {
      method: 'GET',
      path: '/api/admin/users/:id/',
      auth: 'required',
      schema: {
        summary: 'One user',
        tags: TAGS,
        response: { 200: adminUserSchema },
        errors: [...ACCESS_ERRORS, 'not_found'],
      },
      async handler(context) {
        await actorOf(context)
        return { body: toAdminUser(await admin.getUser(idOf(context))) }
      },
    },
    {
      method: 'PATCH',
      path: '/api/admin/users/:id/',
      auth: 'required',
      schema: {
        summary:
          'Change names, email, is_active, is_staff, is_superuser (deactivation and demotion end the sessions)',
        tags: TAGS,
        body: patchBody,
        response: { 200: adminUserSchema },
        errors: [...ACCESS_ERRORS, 'invalid', 'not_found'],
      },
      async handler(context) {
        const actor = await actorOf(context)
        const b = context.body as Record<string, string | boolean | undefined>
        const user = await admin.updateUser(actor, client(context), idOf(context), {
          ...(b.email !== undefined ? { email: b.email as string } : {}),
          ...(b.first_name !== undefined ? { firstName: b.first_name as string } : {}),
          ...(b.last_name !== undefined ? { lastName: b.last_name as string } : {}),
          ...(b.is_active !== undefined ? { isActive: b.is_active as boolean } : {}),
          ...(b.is_staff !== undefined ? { isStaff: b.is_staff as boolean } : {}),
          ...(b.is_superuser !== undefined ? { isSuperuser: b.is_superuser as boolean } : {}),
        })
        return { body: toAdminUser(user) }
      },
    },
    {
      method: 'DELETE',
      path: '/api/admin/users/:id/',
      auth: 'required',
      schema: {
        summary: 'Delete a user (never yourself, never the last active superuser)',
        tags: TAGS,
        body: NO_BODY,
        response: { 204: EMPTY },
        errors: [...ACCESS_ERRORS, 'not_found'],
      },
      async handler(context) {
        await admin.deleteUser(await actorOf(context), client(context), idOf(context))
        return { status: 204 }
      },
    },
    {
      method: 'POST',
      path: '/api/admin/users/:id/password/',
      auth: 'required',
      schema: {
        summary: "Set a user's password; every session of theirs ends",
        tags: TAGS,
        body: passwordBody,
        response: { 204: EMPTY },
        errors: [...ACCESS_ERRORS, 'invalid', 'not_found'],
      },
      async handler(context) {
        const actor = await actorOf(context)
        await admin.setPassword(
          actor,
          client(context),
          idOf(context),
          (context.body as { password: string }).password,
        )
        return { status: 204 }
      },
    },
    {
      method: 'GET',
      path: '/api/admin/users/:id/sessions/',
      auth: 'required',
      schema: {
        summary: "A user's active sessions, most recently used first",
        tags: TAGS,
        response: { 200: { type: 'array', items: sessionSchema } },
        errors: [...ACCESS_ERRORS, 'not_found'],
      },
      async handler(context) {
        await actorOf(context)
        const sid = context.auth?.token.payload[SESSION_ID_CLAIM]
        const list = await admin.listSessions(idOf(context))
        return { body: list.map((s) => toAdminSession(s, typeof sid === 'string' ? sid : null)) }
      },
    },
    {
      method: 'POST',
      path: '/api/admin/users/:id/sessions/revoke-all/',
      auth: 'required',
      schema: {
        summary: 'End every session of a user and every access token issued before',
        tags: TAGS,
        body: NO_BODY,
        response: { 204: EMPTY },
        errors: [...ACCESS_ERRORS, 'not_found'],
      },
      async handler(context) {
        await admin.revokeAllSessions(await actorOf(context), client(context), idOf(context))
        return { status: 204 }
      },
    },
    {
      method: 'DELETE',
      path: '/api/admin/users/:id/sessions/:sid/',
      auth: 'required',
      schema: {
        summary: 'Revoke one session of a user',
        tags: TAGS,
        body: NO_BODY,
        response: { 204: EMPTY },
        errors: [...ACCESS_ERRORS, 'not_found'],
      },
      async handler(context) {
        const actor = await actorOf(context)
        await admin.revokeSession(actor, client(context), idOf(context), context.params.sid ?? '')
        return { status: 204 }
      },
    },
    {
      method: 'GET',
      path: '/api/admin/audit/',
      auth: 'required',
      schema: {
        summary: 'The audit log, newest first',
        tags: TAGS,
        querystring: queryOf({
          actor: 'id of the user who made the change',
          target: 'id of the user the change was made to',
          action:
            'user.create, user.update, user.set_password, user.delete, session.revoke or session.revoke_all',
          cursor: 'next or previous of an earlier page',
          page_size: '1 to 100 (more is read as 100); default 25',
        }),
        response: { 200: pageOf(auditEntrySchema) },
        errors: [...ACCESS_ERRORS, 'invalid'],
      },
      async handler(context) {
        await actorOf(context)
        const page = await admin.listAudit(parseAuditQuery(context.query, dialect))
        return { body: { ...page, results: page.results.map(toWireAuditEntry) } }
      },
    },
  ]
}
