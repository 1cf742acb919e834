import { sql, type Kysely } from 'kysely'
import { userIdColumn, type MigrationContext } from './context.js'

/**
 * Accounts: the outgoing email queue, each user's email verification state, and single-use account tokens (email
 * verification and password reset) kept as SHA-256 only. Times are epoch milliseconds (bigint) on both dialects.
 */
export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  const pg = context.dialect === 'postgres'
  const userId = await userIdColumn(db, context)
  const id = pg ? sql`bigserial primary key` : sql`integer primary key autoincrement`
  const deferrable = pg ? sql`deferrable initially deferred` : sql``
  // One row per message. Bodies are cleared once sent, so links with tokens do not outlive their delivery.
  await sql`create table if not exists cookiejwt_email (
    id ${id},
    created_at bigint not null,
    to_address varchar(254) not null,
    from_address varchar(320) not null,
    subject varchar(998) not null,
    template varchar(64) not null,
    text_body text not null,
    html_body text not null,
    status varchar(16) not null,
    attempts integer not null,
    next_attempt_at bigint not null,
    locked_until bigint null,
    sent_at bigint null,
    last_error varchar(1000) null
  )`.execute(db)
  await sql`create index if not exists cookiejwt_email_due on cookiejwt_email (status, next_attempt_at)`.execute(
    db,
  )
  // The address a user verified (auth_user has no such column); a changed email no longer matches it.
  await sql`create table if not exists cookiejwt_email_address (
    user_id ${userId.type} not null primary key ${userId.references} on delete cascade ${deferrable},
    email varchar(254) not null,
    verified_at bigint not null
  )`.execute(db)
  await sql`create table if not exists cookiejwt_account_token (
    token_hash varchar(64) not null primary key,
    purpose varchar(16) not null,
    user_id ${userId.type} not null ${userId.references} on delete cascade ${deferrable},
    email varchar(254) not null,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint null
  )`.execute(db)
  await sql`create index if not exists cookiejwt_account_token_user on cookiejwt_account_token (user_id, purpose)`.execute(
    db,
  )
}
