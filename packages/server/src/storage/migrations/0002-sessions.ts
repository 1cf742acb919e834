import { sql, type Kysely } from 'kysely'
import { userIdColumn, type MigrationContext } from './context.js'

/**
 * cookiejwt's own session tables: refresh-token families (one per login, rotated in place, reuse detection),
 * per-user session versions (cheap revoke-all) and throttling counters. Portable SQL for SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  const pg = context.dialect === 'postgres'
  const userId = await userIdColumn(db, context)
  const ts = pg ? sql`timestamp with time zone` : sql`datetime`
  // One row per family. The live refresh token is known by jti + SHA-256 only, never stored whole; the previous
  // jti and the successor's issue time let a replay inside the grace window re-mint the identical successor pair.
  await sql`create table if not exists cookiejwt_session (
    id varchar(64) not null primary key,
    user_id ${userId.type} not null ${userId.references} on delete cascade ${pg ? sql`deferrable initially deferred` : sql``},
    created_at ${ts} not null,
    last_used_at ${ts} not null,
    expires_at ${ts} not null,
    user_agent varchar(512) not null,
    ip varchar(64) not null,
    session_version integer not null,
    current_jti varchar(255) not null,
    current_hash varchar(128) not null,
    access_jti varchar(255) not null,
    issued_at bigint not null,
    previous_jti varchar(255) null,
    rotated_at bigint null,
    revoked_at ${ts} null,
    revoked_reason varchar(32) null
  )`.execute(db)
  await sql`create index if not exists cookiejwt_session_user_id on cookiejwt_session (user_id)`.execute(
    db,
  )
  await sql`create table if not exists cookiejwt_session_version (
    user_id ${userId.type} not null primary key ${userId.references} on delete cascade ${pg ? sql`deferrable initially deferred` : sql``},
    version integer not null
  )`.execute(db)
  // Fixed-window counters: reset_at is epoch milliseconds, so one upsert both increments and restarts a window.
  await sql`create table if not exists cookiejwt_throttle (
    key varchar(255) not null primary key,
    count integer not null,
    reset_at bigint not null
  )`.execute(db)
}
