import type { UserId } from '@cookiejwt/core'
import type { ColumnType, Generated } from 'kysely'

/** A timestamp: Django stores text in SQLite and `timestamp with time zone` in PostgreSQL. */
export type Timestamp = ColumnType<Date | string, Date | string, Date | string>
/** A boolean: 0/1 in SQLite, `boolean` in PostgreSQL. */
export type Bool = ColumnType<boolean | number, boolean | number, boolean | number>

/** Django's `auth_user` table, column for column (the default user table; see `settings.userTable`). */
export interface AuthUserTable {
  id: Generated<number>
  password: string
  last_login: Timestamp | null
  is_superuser: Bool
  username: string
  first_name: string
  last_name: string
  email: string
  is_staff: Bool
  is_active: Bool
  date_joined: Timestamp
}

/** simplejwt's `OutstandingToken`; cookiejwt writes the token's SHA-256 (`sha256$<hex>`) in `token`, never the token. */
export interface OutstandingTokenTable {
  id: Generated<number>
  token: string
  created_at: Timestamp | null
  expires_at: Timestamp
  /** The user table's id type: integer, or UUID text (see settings.userTable). */
  user_id: UserId | null
  jti: string
}

/** simplejwt's `BlacklistedToken`. */
export interface BlacklistedTokenTable {
  id: Generated<number>
  blacklisted_at: Timestamp
  token_id: number
}

/** A refresh-token family (one login session); the live refresh token is kept as jti + SHA-256 only. */
export interface SessionTable {
  id: string
  user_id: UserId
  created_at: Timestamp
  last_used_at: Timestamp
  expires_at: Timestamp
  user_agent: string
  ip: string
  session_version: number
  current_jti: string
  current_hash: string
  access_jti: string
  /** `iat` (epoch seconds) of the current pair; re-minting with it reproduces the pair. */
  issued_at: ColumnType<number | string, number, number>
  previous_jti: string | null
  /** Epoch milliseconds of the last rotation. */
  rotated_at: ColumnType<number | string | null, number | null, number | null>
  revoked_at: Timestamp | null
  revoked_reason: string | null
}

/** A user's session version; absent means 0. */
export interface SessionVersionTable {
  user_id: UserId
  version: number
}

/** A fixed-window throttling counter; `reset_at` is epoch milliseconds. */
export interface ThrottleTable {
  key: string
  count: number
  reset_at: ColumnType<number | string, number, number>
}

/** A user's TOTP authenticator; `secret` is sealed by the MFA key ring, `confirmed_at` null while pending. */
export interface MfaTotpTable {
  user_id: UserId
  secret: string
  created_at: Timestamp
  confirmed_at: Timestamp | null
  /** The last time step (RFC 6238 T) accepted; codes of it and earlier steps are refused. */
  last_used_step: ColumnType<number | string | null, number | null, number | null>
}

/** One backup code of a user, as its HMAC digest (`hmac$<key id>$<hex>`); `used_at` set once spent. */
export interface MfaBackupCodeTable {
  id: Generated<number>
  user_id: UserId
  code_hash: string
  created_at: Timestamp
  used_at: Timestamp | null
}

/** Epoch milliseconds in a bigint column (pg returns it as a string). */
type Millis = ColumnType<number | string, number, number>

/** An outgoing email in the delivery queue; bodies are emptied once it was sent. */
export interface EmailTable {
  id: Generated<number>
  created_at: Millis
  to_address: string
  from_address: string
  subject: string
  template: string
  text_body: string
  html_body: string
  status: 'pending' | 'sending' | 'sent' | 'failed'
  attempts: number
  next_attempt_at: Millis
  locked_until: ColumnType<number | string | null, number | null, number | null>
  sent_at: ColumnType<number | string | null, number | null, number | null>
  last_error: string | null
}

/** The address a user proved they receive mail at. */
export interface EmailAddressTable {
  user_id: UserId
  email: string
  verified_at: Millis
}

/** A single-use account token (email verification, password reset), known by its SHA-256 only. */
export interface AccountTokenTable {
  token_hash: string
  purpose: 'verify_email' | 'password_reset'
  user_id: UserId
  email: string
  created_at: Millis
  expires_at: Millis
  used_at: ColumnType<number | string | null, number | null, number | null>
}

/** One admin change (see `src/admin/audit.ts`); `changes` is JSON and never holds a password or hash. */
export interface AdminAuditTable {
  id: Generated<number>
  created_at: Timestamp
  actor_id: number | null
  actor: string
  action: string
  target_id: number | null
  target: string
  changes: string
  ip: string
  user_agent: string
}

/** The whole schema, as Kysely sees it. */
export interface Database {
  auth_user: AuthUserTable
  token_blacklist_outstandingtoken: OutstandingTokenTable
  token_blacklist_blacklistedtoken: BlacklistedTokenTable
  cookiejwt_session: SessionTable
  cookiejwt_session_version: SessionVersionTable
  cookiejwt_throttle: ThrottleTable
  cookiejwt_mfa_totp: MfaTotpTable
  cookiejwt_mfa_backup_code: MfaBackupCodeTable
  cookiejwt_email: EmailTable
  cookiejwt_email_address: EmailAddressTable
  cookiejwt_account_token: AccountTokenTable
  cookiejwt_admin_audit: AdminAuditTable
}
