#!/usr/bin/env node
// The admin's user list with 100,000 users: cookiejwt's listUsers (query parsing, Kysely, keyset cursor, count,
// mapping) against the same SQL on the bare driver, per page, the ratio printed. Also asserts that the default
// order reads an index (EXPLAIN QUERY PLAN / EXPLAIN), not a full scan and a sort.
// `node admin.js [--quick] [--users N]`; PostgreSQL too with BENCH_POSTGRES_URL=postgres://… (an empty database).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { Bench } from 'tinybench'

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, users: { type: 'string', default: '100000' } },
})
const USERS = Number(flags.users)
const PAGE = 25
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'server', 'dist')
const load = (path) => import(pathToFileURL(join(dist, path)).href)

const { openDatabase } = await load('storage/db.js')
const { migrateToLatest } = await load('storage/migrate.js')
const { listUsers, parseUserListQuery } = await load('admin/user-list.js')
const { encodeCursor } = await load('admin/keyset.js')

async function seed(handle) {
  const started = Date.now()
  const batch = 1000
  for (let start = 0; start < USERS; start += batch) {
    const rows = []
    for (let i = start; i < Math.min(USERS, start + batch); i++) {
      const n = String(i).padStart(6, '0')
      rows.push({
        username: `user${n}`,
        email: `user${n}@example.com`,
        first_name: i % 7 === 0 ? 'Ada' : 'Grace',
        last_name: `Last${i % 1000}`,
        is_active: handle.dialect === 'postgres' ? i % 10 !== 0 : i % 10 !== 0 ? 1 : 0,
        is_staff: handle.dialect === 'postgres' ? i % 100 === 0 : i % 100 === 0 ? 1 : 0,
        is_superuser: handle.dialect === 'postgres' ? false : 0,
        password: 'pbkdf2_sha256$1$x$y',
        date_joined: handle.dialect === 'postgres' ? new Date(1.7e12 + i * 1000) : new Date(1.7e12 + i * 1000).toISOString().replace('T', ' ').replace('Z', '000'),
        last_login: null,
      })
    }
    await handle.db.insertInto('auth_user').values(rows).execute()
  }
  if (handle.dialect === 'postgres') await sql`analyze auth_user`.execute(handle.db)
  return Date.now() - started
}

/** The bare-driver version of one page: the same SQL cookiejwt sends, written by hand. */
function bare(handle, raw) {
  if (handle.dialect === 'sqlite') {
    const sqlite = raw
    const page = sqlite.prepare('select * from auth_user order by username asc limit ?')
    const after = sqlite.prepare('select * from auth_user where username > ? order by username asc limit ?')
    const before = sqlite.prepare('select 1 from auth_user where username < ? order by username desc limit 1')
    const count = sqlite.prepare('select count(*) as n from auth_user')
    const search = sqlite.prepare(
      "select * from auth_user where (username like ? escape '\\' or email like ? escape '\\' or first_name like ? escape '\\' or last_name like ? escape '\\') order by username asc limit ?",
    )
    const searchCount = sqlite.prepare(
      "select count(*) as n from auth_user where (username like ? escape '\\' or email like ? escape '\\' or first_name like ? escape '\\' or last_name like ? escape '\\')",
    )
    return {
      first: async () => ({ count: count.get().n, rows: page.all(PAGE + 1) }),
      deep: async (key) => ({ count: count.get().n, rows: after.all(key, PAGE + 1), prev: before.get(key) }),
      search: async (term) => {
        const p = `%${term}%`
        return { count: searchCount.get(p, p, p, p).n, rows: search.all(p, p, p, p, PAGE + 1) }
      },
    }
  }
  const pool = raw
  const q = (text, values) => pool.query(text, values)
  const like = 'username ilike $1 escape \'\\\' or email ilike $1 escape \'\\\' or first_name ilike $1 escape \'\\\' or last_name ilike $1 escape \'\\\''
  return {
    first: async () => ({ count: (await q('select count(*) as n from auth_user')).rows[0].n, rows: (await q('select * from auth_user order by username asc limit $1', [PAGE + 1])).rows }),
    deep: async (key) => ({
      count: (await q('select count(*) as n from auth_user')).rows[0].n,
      rows: (await q('select * from auth_user where username > $1 order by username asc limit $2', [key, PAGE + 1])).rows,
      prev: (await q('select 1 from auth_user where username < $1 order by username desc limit 1', [key])).rows,
    }),
    search: async (term) => ({
      count: (await q(`select count(*) as n from auth_user where (${like})`, [`%${term}%`])).rows[0].n,
      rows: (await q(`select * from auth_user where (${like}) order by username asc limit $2`, [`%${term}%`, PAGE + 1])).rows,
    }),
  }
}

async function explainDefault(handle, raw) {
  if (handle.dialect === 'sqlite') {
    const plan = raw.prepare('explain query plan select * from auth_user order by username asc limit 26').all().map((r) => r.detail).join('; ')
    return { plan, indexed: /USING INDEX/.test(plan) && !/TEMP B-TREE/.test(plan) }
  }
  const rows = (await raw.query('explain select * from auth_user order by username asc limit 26')).rows
  const plan = rows.map((r) => r['QUERY PLAN']).join('; ')
  return { plan, indexed: /Index Scan/.test(plan) && !/Sort/.test(plan) }
}

async function run(label, url, rawOf, closeRaw) {
  let handle = await openDatabase(url)
  const migrated = await migrateToLatest(handle)
  if (migrated.error) throw migrated.error
  const seedMs = await seed(handle)
  // A fresh connection, as a server process started after the users exist would have.
  await handle.destroy()
  handle = await openDatabase(url)
  const raw = await rawOf()
  const b = bare(handle, raw)
  const dialect = handle.dialect
  const ordering = parseUserListQuery({}, dialect).ordering
  const middle = `user${String(Math.floor(USERS / 2)).padStart(6, '0')}`
  const cursor = encodeCursor(ordering, { key: middle, id: Math.floor(USERS / 2) + 1, direction: 'next' })
  const explained = await explainDefault(handle, raw)
  const cases = [
    ['first page (default order)', () => listUsers(handle, parseUserListQuery({}, dialect)), () => b.first()],
    ['page at row 50,000 (cursor)', () => listUsers(handle, parseUserListQuery({ cursor }, dialect)), () => b.deep(middle)],
    ['search "user04999" (1 match)', () => listUsers(handle, parseUserListQuery({ search: 'user04999' }, dialect)), () => b.search('user04999')],
    ['search "ada" (1 in 7 match)', () => listUsers(handle, parseUserListQuery({ search: 'ada' }, dialect)), () => b.search('ada')],
  ]
  const bench = new Bench({ time: flags.quick ? 300 : 2000, warmupTime: flags.quick ? 100 : 500 })
  for (const [name, ours, theirs] of cases) {
    bench.add(`${name} — cookiejwt`, ours)
    bench.add(`${name} — bare driver`, theirs)
  }
  await bench.run()
  console.log(`\n${label}: ${USERS.toLocaleString('en')} users (seeded in ${(seedMs / 1000).toFixed(1)} s), page size ${PAGE}`)
  console.log(`default order plan: ${explained.plan} → ${explained.indexed ? 'index, no sort' : 'NOT INDEXED'}`)
  console.log('| case | cookiejwt ms/page | bare driver ms/page | ratio |')
  console.log('| --- | --- | --- | --- |')
  for (const [name] of cases) {
    const ours = bench.getTask(`${name} — cookiejwt`).result
    const theirs = bench.getTask(`${name} — bare driver`).result
    const oursMs = ours.latency?.mean ?? ours.mean
    const theirsMs = theirs.latency?.mean ?? theirs.mean
    console.log(`| ${name} | ${oursMs.toFixed(3)} | ${theirsMs.toFixed(3)} | ${(oursMs / theirsMs).toFixed(2)} × |`)
  }
  await closeRaw(raw)
  await handle.destroy()
  if (!explained.indexed) process.exitCode = 1
}

const dir = mkdtempSync(join(tmpdir(), 'cookiejwt-bench-admin-'))
try {
  const file = join(dir, 'db.sqlite3')
  const { default: SQLite } = await import('better-sqlite3')
  await run('SQLite', `sqlite:${file}`, async () => new SQLite(file, { readonly: true }), async (db) => db.close())
  if (process.env.BENCH_POSTGRES_URL) {
    const { default: pg } = await import('pg')
    await run('PostgreSQL', process.env.BENCH_POSTGRES_URL, async () => new pg.Pool({ connectionString: process.env.BENCH_POSTGRES_URL, max: 1 }), (p) => p.end())
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
