/**
 * The CLI with an application's own user table: COOKIEJWT_USER_TABLE is read, `migrate` creates only cookiejwt's
 * tables, `createsuperuser` writes into the table, `doctor` and `serve` name a missing column.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/index.js'
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.js'
import { TEST_KEY } from '../helpers.js'

async function run(args: string[], env: NodeJS.ProcessEnv) {
  let out = ''
  const sink = new PassThrough()
  sink.on('data', (c) => (out += c))
  const code = await main(args, { env: { PATH: process.env.PATH, ...env }, stdout: sink, stderr: sink })
  return { code, out }
}

const USER_TABLE = JSON.stringify({
  table: 'people',
  idType: 'uuid',
  passwordFormat: 'phc',
  columns: { username: 'handle', password: 'secret', firstName: null, lastName: null, isSuperuser: null, lastLogin: null },
})

describe('COOKIEJWT_USER_TABLE', { timeout: 60_000 }, () => {
  let dir: string
  let url: string
  let db: DatabaseHandle
  let env: NodeJS.ProcessEnv

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cookiejwt-usertable-cli-'))
    url = `sqlite:${join(dir, 'db.sqlite3')}`
    db = await openDatabase(url)
    await sql`create table people (
      id varchar(36) primary key, handle text not null unique, secret text not null, email text not null default '',
      is_active integer not null default 1, is_staff integer not null default 0, date_joined text not null
    )`.execute(db.db)
    env = { DATABASE_URL: url, COOKIEJWT_SIGNING_KEY: TEST_KEY, COOKIEJWT_USER_TABLE: USER_TABLE, COOKIEJWT_DATA_DIR: dir }
  })
  afterEach(async () => {
    await db.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  it('migrate creates cookiejwt tables referencing it (no auth_user); createsuperuser writes a UUID row and a PHC hash', async () => {
    const migrated = await run(['migrate'], env)
    expect(migrated.out).toContain('Migrations applied.')
    expect(migrated.code).toBe(0)
    const tables = (await db.db.introspection.getTables()).map((t) => t.name)
    expect(tables).not.toContain('auth_user')
    const fk = await sql<{ table: string }>`select "table" from pragma_foreign_key_list('cookiejwt_session')`.execute(db.db)
    expect(fk.rows.map((r) => r.table)).toEqual(['people'])

    const created = await run(['createsuperuser', '--noinput', '--username', 'root', '--email', 'root@example.com'], {
      ...env,
      COOKIEJWT_SUPERUSER_PASSWORD: 'Zephyr-Quartz-Lantern-42',
    })
    expect(created.code).toBe(0)
    const row = await sql<Record<string, string | number>>`select * from people where handle = 'root'`.execute(db.db)
    expect(row.rows[0]).toMatchObject({ email: 'root@example.com', is_active: 1, is_staff: 1 })
    expect(String(row.rows[0]!.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(String(row.rows[0]!.secret)).toMatch(/^\$argon2id\$v=19\$/)
    expect((await run(['doctor', '--json'], env)).out).not.toContain('user-table')
    // Operator commands acting on every user read the configured table (UUID ids here).
    const ended = await run(['sessions', 'end', '--all'], env)
    expect(ended.out).toContain('Ended every session of 1 user')
    expect(ended.code).toBe(0)
  })

  it('doctor and serve name a missing column; a malformed variable is refused by name', async () => {
    const broken = { ...env, COOKIEJWT_USER_TABLE: JSON.stringify({ ...JSON.parse(USER_TABLE), columns: { ...JSON.parse(USER_TABLE).columns, email: 'mail' } }) }
    expect((await run(['migrate'], broken)).code).toBe(0)
    const doctor = await run(['doctor', '--json'], broken)
    expect(doctor.code).toBe(1)
    const report = JSON.parse(doctor.out) as { findings: { level: string; code: string; message: string }[] }
    expect(report.findings).toContainEqual({
      level: 'error',
      code: 'user-table',
      message: 'The server would not start: user table "people" has no column "mail" (userTable.columns.email).',
    })
    const serve = await run(['serve', '--port', '0'], broken)
    expect(serve.code).toBe(1)
    expect(serve.out).toContain('user table "people" has no column "mail" (userTable.columns.email)')

    const malformed = await run(['migrate'], { ...env, COOKIEJWT_USER_TABLE: '{table: people}' })
    expect(malformed.code).toBe(1)
    expect(malformed.out).toContain('COOKIEJWT_USER_TABLE must be a JSON object')
    const unknown = await run(['migrate'], { ...env, COOKIEJWT_USER_TABLE: '{"tabel":"people"}' })
    expect(unknown.out).toContain('unknown setting "userTable.tabel"')
    // import-django copies into auth_user's layout only.
    const imported = await run(['import-django', '--from', url], env)
    expect(imported.code).toBe(1)
    expect(imported.out).toContain("import-django copies users into Django's auth_user layout")
  })
})
