// Over 300 lines: the session rules (start, rotate with reuse detection and grace replay, revoke, versions, the
// per-request check and its caches). Splitting out a store interface is planned; see the closing note of issue 14.
import {
  AuthError,
  newJti,
  ServiceUnavailableError,
  type AuthSettings,
  type IssuedToken,
  type TokenStore,
  type UserId,
  type VerifiedToken,
} from '@cookiejwt/core'
import type { RevocationCache } from './revocation-cache.js'
import type { Kysely } from 'kysely'
import { logSecurityEvent, type SecurityLogger } from '../security-log.js'
import type { DatabaseHandle } from '../storage/db.js'
import type { Database } from '../storage/schema.js'
import { guard } from '../storage/errors.js'
import { fromDbDate, toDbDate } from '../storage/values.js'
import {
  AUTH_TIME_CLAIM,
  mintToken,
  newSessionId,
  SESSION_ID_CLAIM,
  SESSION_VERSION_CLAIM,
} from './mint.js'
import { hashToken, outstandingOf, recordIssuedRefresh } from '../token-records.js'

/** Where a session was started from, shown in the sessions list. */
export interface ClientInfo {
  readonly ip?: string | undefined
  readonly userAgent?: string | undefined
}

/** An access/refresh pair minted for a session. */
export interface SessionPair {
  readonly access: IssuedToken
  readonly refresh: IssuedToken
}

/** One active session as `GET /api/auth/sessions/` lists it. */
export interface SessionInfo {
  readonly id: string
  readonly createdAt: Date
  readonly lastUsedAt: Date
  readonly userAgent: string
  readonly ip: string
}

/** A security event worth an operator's attention; never carries a token. */
export interface SessionEvent {
  readonly event: 'refresh_token_reuse' | 'session_revoked'
  readonly jti?: string
  readonly family: string
  readonly userId: UserId
  readonly reason: string
}

/** What the session manager needs. */
export interface SessionManagerDeps {
  readonly settings: AuthSettings
  readonly database: DatabaseHandle
  /** simplejwt's blacklist: rotated and revoked refresh tokens are also written there. */
  readonly tokens: TokenStore
  /** Shared revocations across processes (Redis); without it, each process reads the database on a cache miss. */
  readonly revocationCache?: RevocationCache | undefined
  /** Receives security events (reuse detected, session revoked). */
  readonly onEvent?: ((event: SessionEvent) => void) | undefined
  /** Writes the same events as structured security records (`refresh_token_reuse`, `session_revoked`). */
  readonly log?: SecurityLogger | undefined
}

const MAX_CACHE_ENTRIES = 50_000
const USER_AGENT_MAX = 512
const IP_MAX = 64

/**
 * Refresh-token families (RFC 9700 §4.14.2): every login starts a family, each refresh rotates inside it with one
 * conditional UPDATE, and a rotated token presented again revokes the family — unless it comes back within
 * `refreshGraceWindow` seconds, when it receives the identical successor pair (a concurrent tab). Also keeps the
 * per-user session version and answers the per-request revocation check from a short-lived in-process cache.
 */
export class SessionManager {
  readonly #s: AuthSettings
  readonly #h: DatabaseHandle
  readonly #tokens: TokenStore
  readonly #shared: RevocationCache | undefined
  readonly #onEvent: (event: SessionEvent) => void
  readonly #log: SecurityLogger | undefined
  readonly #families = new Map<string, { revoked: boolean; until: number }>()
  readonly #versions = new Map<string, { version: number; until: number }>()

  constructor(deps: SessionManagerDeps) {
    this.#s = deps.settings
    this.#h = deps.database
    this.#tokens = deps.tokens
    this.#shared = deps.revocationCache
    const onEvent = deps.onEvent
    const log = deps.log
    this.#log = log
    this.#onEvent = (event) => {
      logSecurityEvent(log, event.event, {
        userId: event.userId,
        sessionId: event.family,
        jti: event.jti,
        reason: event.reason,
      })
      onEvent?.(event)
    }
  }

  /** Starts a new family for a user (login) and returns its first pair. */
  async start(
    userId: UserId,
    claimUserId: number | string,
    client: ClientInfo,
    now: Date,
  ): Promise<SessionPair> {
    const sid = newSessionId()
    const iat = Math.floor(now.getTime() / 1000)
    const version = await this.version(userId)
    const base = {
      [this.#s.userIdClaim]: claimUserId,
      [SESSION_ID_CLAIM]: sid,
      [AUTH_TIME_CLAIM]: iat,
    }
    const refresh = mintToken(this.#s, 'refresh', base, newJti(), iat)
    const access = mintToken(
      this.#s,
      'access',
      { ...base, [SESSION_VERSION_CLAIM]: version },
      newJti(),
      iat,
    )
    const d = this.#h.dialect
    await guard(() =>
      this.#h.db
        .insertInto('cookiejwt_session')
        .values({
          id: sid,
          user_id: userId,
          created_at: toDbDate(d, now),
          last_used_at: toDbDate(d, now),
          expires_at: toDbDate(d, refresh.expiresAt),
          user_agent: (client.userAgent ?? '').slice(0, USER_AGENT_MAX),
          ip: (client.ip ?? '').slice(0, IP_MAX),
          session_version: version,
          current_jti: refresh.jti,
          current_hash: hashToken(refresh.token),
          access_jti: access.jti,
          issued_at: iat,
          previous_jti: null,
          rotated_at: null,
          revoked_at: null,
          revoked_reason: null,
        })
        .execute(),
    )
    await this.#recordOutstanding(refresh, userId, now)
    return { access, refresh }
  }

  /**
   * Rotates a verified refresh token that carries a session id. Exactly one of several concurrent callers wins the
   * conditional UPDATE; the others (and later replays) are classified: inside the grace window they get the same
   * successor pair, otherwise the family is revoked. Throws `AuthError('token_not_valid')` when refused.
   */
  async rotate(old: VerifiedToken, userId: UserId, now: Date): Promise<SessionPair> {
    const sid = old.payload[SESSION_ID_CLAIM]
    if (typeof sid !== 'string')
      throw new AuthError('token_not_valid', 'Token is invalid or expired')
    const nowMs = now.getTime()
    const iat = Math.floor(nowMs / 1000)
    const claims = this.#copyable(old)
    const refresh = mintToken(this.#s, 'refresh', claims, newJti(), iat)
    const accessJti = newJti()
    const d = this.#h.dialect
    // The decision: one conditional write. Read-then-write would let two tabs both rotate the same token.
    const won = await guard(() =>
      this.#h.db
        .updateTable('cookiejwt_session')
        .set({
          previous_jti: old.jti,
          current_jti: refresh.jti,
          current_hash: hashToken(refresh.token),
          access_jti: accessJti,
          issued_at: iat,
          rotated_at: nowMs,
          last_used_at: toDbDate(d, now),
          expires_at: toDbDate(d, refresh.expiresAt),
        })
        .where('id', '=', sid)
        .where('user_id', '=', userId)
        .where('current_jti', '=', old.jti)
        .where('revoked_at', 'is', null)
        .returning(['session_version'])
        .executeTakeFirst(),
    )
    if (won) {
      const access = mintToken(
        this.#s,
        'access',
        { ...claims, [SESSION_VERSION_CLAIM]: won.session_version },
        accessJti,
        iat,
      )
      // simplejwt compatibility: the old token lands in the blacklist, the new one in the outstanding table. A token
      // someone else already blacklisted (Django admin, /api/token/blacklist/) ends the family instead.
      await this.#recordOutstanding(refresh, userId, now)
      if (!(await this.#tokens.blacklist(outstandingOf(old, userId), now))) {
        await this.revoke(sid, 'blacklisted', now)
        throw new AuthError('token_not_valid', 'Token is blacklisted')
      }
      return { access, refresh }
    }
    return this.#replayOrRevoke(old, sid, userId, claims, now)
  }

  async #replayOrRevoke(
    old: VerifiedToken,
    sid: string,
    userId: UserId,
    claims: Record<string, unknown>,
    now: Date,
  ) {
    const row = await guard(() =>
      this.#h.db
        .selectFrom('cookiejwt_session')
        .select([
          'user_id',
          'previous_jti',
          'rotated_at',
          'current_jti',
          'access_jti',
          'issued_at',
          'session_version',
          'revoked_at',
        ])
        .where('id', '=', sid)
        .executeTakeFirst(),
    )
    if (!row || String(row.user_id) !== String(userId) || row.revoked_at !== null) {
      throw new AuthError('token_not_valid', 'Token is blacklisted')
    }
    const rotatedAt = row.rotated_at === null ? null : Number(row.rotated_at)
    const graceMs = this.#s.refreshGraceWindow * 1000
    if (
      row.previous_jti === old.jti &&
      rotatedAt !== null &&
      now.getTime() - rotatedAt <= graceMs &&
      graceMs > 0
    ) {
      // A concurrent tab: the same successor pair, re-minted from the stored jtis and issue time.
      const iat = Number(row.issued_at)
      const refresh = mintToken(this.#s, 'refresh', claims, row.current_jti, iat)
      const access = mintToken(
        this.#s,
        'access',
        { ...claims, [SESSION_VERSION_CLAIM]: Number(row.session_version) },
        row.access_jti,
        iat,
      )
      return { access, refresh }
    }
    // Reuse of a rotated token: the thief and the victim both lose the family (RFC 9700 §4.14.2).
    this.#onEvent({
      event: 'refresh_token_reuse',
      jti: old.jti,
      family: sid,
      userId,
      reason: 'reuse',
    })
    await this.revoke(sid, 'reuse', now)
    throw new AuthError('token_not_valid', 'Token is blacklisted')
  }

  /** Revokes one family; its live refresh token is blacklisted too. Returns false when it was not active. */
  async revoke(sid: string, reason: string, now: Date, userId?: UserId): Promise<boolean> {
    const rows = await guard(() => this.#revokeRows(this.#h.db, { sid, userId }, reason, now))
    await this.#afterRevoke(rows, reason, now)
    return rows.length > 0
  }

  /** Revokes every active family of a user except `keep`; returns how many. */
  async revokeAll(userId: UserId, reason: string, now: Date, keep?: string): Promise<number> {
    const rows = await guard(() => this.#revokeRows(this.#h.db, { userId, keep }, reason, now))
    await this.#afterRevoke(rows, reason, now)
    return rows.length
  }

  /**
   * Bumps the user's session version (password change, deactivation, "log out everywhere"): every access token
   * issued before carries an older `sv` and is refused on its next request. Returns the new version.
   */
  async bumpVersion(userId: UserId, now: Date): Promise<number> {
    const version = await guard(() => this.#bumpRow(this.#h.db, userId))
    await this.#afterBump(userId, version, now)
    return version
  }

  /**
   * Inside the caller's transaction `trx`: bumps the user's session version and revokes every family (an admin
   * deactivating, deleting, demoting or setting the password of a user). Nothing outside `trx` changes until the
   * returned function runs — after the commit — to update this process's cache, the shared cache and simplejwt's
   * blacklist; a rolled-back change revokes nothing. The function resolves to how many families were revoked.
   */
  async endAllInTransaction(
    trx: Kysely<Database>,
    userId: UserId,
    reason: string,
    now: Date,
  ): Promise<() => Promise<number>> {
    const version = await this.#bumpRow(trx, userId)
    const rows = await this.#revokeRows(trx, { userId }, reason, now)
    return async () => {
      await this.#afterBump(userId, version, now)
      await this.#afterRevoke(rows, reason, now)
      logSecurityEvent(this.#log, 'user_sessions_ended', { userId, count: rows.length, reason })
      return rows.length
    }
  }

  /**
   * Inside the caller's transaction `trx`: revokes one active family of `userId`. Returns null when there is none,
   * else the function to run after the commit (caches, blacklist), as `endAllInTransaction`.
   */
  async revokeInTransaction(
    trx: Kysely<Database>,
    sid: string,
    userId: UserId,
    reason: string,
    now: Date,
  ): Promise<(() => Promise<void>) | null> {
    const rows = await this.#revokeRows(trx, { sid, userId }, reason, now)
    if (rows.length === 0) return null
    return () => this.#afterRevoke(rows, reason, now)
  }

  #revokeRows(
    db: Kysely<Database>,
    which: { sid?: string; userId?: UserId | undefined; keep?: string | undefined },
    reason: string,
    now: Date,
  ) {
    let query = db
      .updateTable('cookiejwt_session')
      .set({ revoked_at: toDbDate(this.#h.dialect, now), revoked_reason: reason })
      .where('revoked_at', 'is', null)
    if (which.sid !== undefined) query = query.where('id', '=', which.sid)
    if (which.userId !== undefined) query = query.where('user_id', '=', which.userId)
    if (which.keep !== undefined) query = query.where('id', '!=', which.keep)
    return query
      .returning(['id', 'user_id', 'current_jti', 'current_hash', 'created_at', 'expires_at'])
      .execute()
  }

  async #bumpRow(db: Kysely<Database>, userId: UserId): Promise<number> {
    const row = await db
      .insertInto('cookiejwt_session_version')
      .values({ user_id: userId, version: 1 })
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet((eb) => ({ version: eb('cookiejwt_session_version.version', '+', 1) })),
      )
      .returning('version')
      .executeTakeFirstOrThrow()
    return Number(row.version)
  }

  async #afterBump(userId: UserId, version: number, now: Date): Promise<void> {
    this.#versions.set(String(userId), {
      version,
      until: Date.now() + this.#s.revocationCacheTtl * 1000,
    })
    await this.#shared?.revokeUserTokens(
      String(userId),
      Math.floor(now.getTime() / 1000),
      this.#s.refreshTokenLifetime,
    )
  }

  /**
   * Ends every session of a user at once ("log out everywhere", an operator's `cookiejwt sessions end`): a new session
   * version refuses every access token already issued — also with `statelessUser`, which loads no user — and every
   * family is revoked, so no refresh token mints anything. Logs `user_sessions_ended` (and `session_revoked` for each).
   * Returns how many sessions were active.
   */
  async endAll(userId: UserId, reason: string, now: Date): Promise<number> {
    await this.bumpVersion(userId, now)
    const count = await this.revokeAll(userId, reason, now)
    logSecurityEvent(this.#log, 'user_sessions_ended', { userId, count, reason })
    return count
  }

  /** A new access token for the session of `token`, at session version `version` (after a password change). */
  reissueAccess(token: VerifiedToken, version: number, now: Date): IssuedToken {
    const iat = Math.floor(now.getTime() / 1000)
    return mintToken(
      this.#s,
      'access',
      { ...this.#copyable(token), [SESSION_VERSION_CLAIM]: version },
      newJti(),
      iat,
    )
  }

  /** Binds a family to the user's current session version, so its next refresh mints access tokens that pass. */
  async rebind(sid: string, userId: UserId, version: number): Promise<void> {
    await guard(() =>
      this.#h.db
        .updateTable('cookiejwt_session')
        .set({ session_version: version })
        .where('id', '=', sid)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute(),
    )
  }

  /** The user's current session version (0 before any bump). */
  async version(userId: UserId): Promise<number> {
    const row = await guard(() =>
      this.#h.db
        .selectFrom('cookiejwt_session_version')
        .select('version')
        .where('user_id', '=', userId)
        .executeTakeFirst(),
    )
    return row ? Number(row.version) : 0
  }

  /** The user's active (not revoked, not expired) sessions, most recently used first. */
  async list(userId: UserId, now: Date): Promise<SessionInfo[]> {
    const rows = await guard(() =>
      this.#h.db
        .selectFrom('cookiejwt_session')
        .select(['id', 'created_at', 'last_used_at', 'user_agent', 'ip'])
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', toDbDate(this.#h.dialect, now))
        .orderBy('last_used_at', 'desc')
        .execute(),
    )
    return rows.map((r) => ({
      id: r.id,
      createdAt: fromDbDate(r.created_at) ?? new Date(0),
      lastUsedAt: fromDbDate(r.last_used_at) ?? new Date(0),
      userAgent: r.user_agent,
      ip: r.ip,
    }))
  }

  /**
   * Whether an access token belongs to a revoked session or an older session version. Tokens without a session id
   * (issued by Django or before sessions existed) are governed by their lifetime only. A process revoking a session
   * sees it at once; other processes within `revocationCacheTtl` seconds (at once with a shared Redis cache).
   */
  isRevoked(token: VerifiedToken): boolean | Promise<boolean> {
    const sid = token.payload[SESSION_ID_CLAIM]
    if (typeof sid !== 'string') return false
    // A shared cache (Redis) is asked on every request — one round trip — so a revocation on another process is
    // honoured at once. It only ever says "revoked": the database stays the source of truth (Redis may have been
    // restarted and forgotten), read at most once per session per `revocationCacheTtl`, and answers alone while
    // Redis is down.
    if (this.#shared) return this.#isRevokedShared(token, sid)
    // Without one, a session seen within the TTL is answered from memory, synchronously (the hot path).
    return this.#isRevokedCached(token, sid) ?? this.#isRevokedStored(token, sid)
  }

  async #isRevokedShared(token: VerifiedToken, sid: string): Promise<boolean> {
    try {
      const key = { jti: familyKey(sid), userId: String(token.userId), iat: token.iat }
      if (await (this.#shared as RevocationCache).isRevoked(key)) return true
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error
    }
    return this.#isRevokedCached(token, sid) ?? this.#isRevokedStored(token, sid)
  }

  /** The answer from this process's memory, or null when it has none within `revocationCacheTtl`. */
  #isRevokedCached(token: VerifiedToken, sid: string): boolean | null {
    const nowMs = Date.now()
    const family = this.#families.get(sid)
    if (family === undefined || (!family.revoked && family.until <= nowMs)) return null
    const version = this.#versions.get(String(token.userId))
    if (version === undefined || version.until <= nowMs) return null
    const sv = token.payload[SESSION_VERSION_CLAIM]
    return family.revoked || (typeof sv === 'number' && sv < version.version)
  }

  async #isRevokedStored(token: VerifiedToken, sid: string): Promise<boolean> {
    const userId = String(token.userId)
    const sv = token.payload[SESSION_VERSION_CLAIM]
    const until = Date.now() + this.#s.revocationCacheTtl * 1000
    // One primary-key read per session per TTL: the family's state and the user's version together.
    const row = await guard(() =>
      this.#h.db
        .selectFrom('cookiejwt_session as s')
        .leftJoin('cookiejwt_session_version as v', 'v.user_id', 's.user_id')
        .select(['s.revoked_at', 's.user_id', 'v.version'])
        .where('s.id', '=', sid)
        .executeTakeFirst(),
    )
    // The session must belong to the token's user; with `userIdField: 'username'` the claim is not the row's id, and
    // the 128-bit session id alone binds the token to its row.
    const foreign =
      this.#s.userIdField === 'id' && row !== undefined && String(row.user_id) !== userId
    const revoked = !row || row.revoked_at !== null || foreign
    const current = row?.version == null ? 0 : Number(row.version)
    this.#remember(this.#families, sid, { revoked, until })
    this.#remember(this.#versions, userId, { version: current, until })
    return revoked || (typeof sv === 'number' && sv < current)
  }

  #remember<T>(map: Map<string, T>, key: string, value: T): void {
    if (map.size >= MAX_CACHE_ENTRIES) map.clear()
    map.set(key, value)
  }

  async #afterRevoke(
    rows: {
      id: string
      user_id: UserId
      current_jti: string
      current_hash: string
      created_at: unknown
      expires_at: unknown
    }[],
    reason: string,
    now: Date,
  ): Promise<void> {
    for (const row of rows) {
      // Revoked is final: cache it without a TTL so this process refuses the access token on the very next request.
      this.#remember(this.#families, row.id, { revoked: true, until: Number.MAX_SAFE_INTEGER })
      const expiresAt = fromDbDate(row.expires_at as string | Date) ?? now
      await this.#tokens.blacklist(
        {
          jti: row.current_jti,
          userId: toUserId(row.user_id),
          tokenHash: row.current_hash,
          createdAt: fromDbDate(row.created_at as string | Date) ?? now,
          expiresAt,
        },
        now,
      )
      // Access tokens live at most accessTokenLifetime; the shared key needs to outlive them, not the refresh token.
      await this.#shared?.revokeToken(
        familyKey(row.id),
        Math.floor(now.getTime() / 1000) + this.#s.accessTokenLifetime + 60,
      )
      if (reason !== 'reuse')
        this.#onEvent({
          event: 'session_revoked',
          family: row.id,
          userId: toUserId(row.user_id),
          reason,
        })
    }
  }

  #copyable(token: VerifiedToken): Record<string, unknown> {
    const claims: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(token.payload)) {
      if (key === SESSION_VERSION_CLAIM) continue
      claims[key] = value
    }
    return claims
  }

  async #recordOutstanding(refresh: IssuedToken, userId: UserId, now: Date): Promise<void> {
    await recordIssuedRefresh(this.#tokens, refresh, userId, now)
  }
}

/** A user id as the driver returns it: PostgreSQL's bigint arrives as text, a UUID always is. */
function toUserId(value: unknown): UserId {
  if (typeof value === 'number') return value
  const text = String(value)
  return /^[1-9][0-9]{0,15}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text
}

function familyKey(sid: string): string {
  return `family:${sid}`
}
