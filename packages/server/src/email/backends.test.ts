import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist')

// Start-up time: nodemailer is ≈ 40 CommonJS modules (≈ 150 ms of a cold start on the shared 2-core machine), so it
// loads only when a message is composed or an SMTP backend is made.
describe('nodemailer loads on first use', () => {
  it('is not loaded by the server entry or the service set-up, and is once a message is composed', () => {
    expect(existsSync(join(dist, 'index.js')), 'packages/server is not built (npm run build)').toBe(
      true,
    )
    // A module-loading hook (runs before each module is evaluated) appends every nodemailer file to a log.
    const log = join(mkdtempSync(join(tmpdir(), 'cookiejwt-lazy-')), 'loaded.txt')
    const hook = `import { appendFileSync } from 'node:fs'
      export async function load(url, context, next) {
        if (url.includes('/nodemailer/')) appendFileSync(${JSON.stringify(log)}, url + '\\n')
        return next(url, context)
      }`
    const script = `
      import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
      import { createRequire, register } from 'node:module'
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
      // Loaded through import (the hook's log) or through require (the CommonJS cache).
      const cache = createRequire(import.meta.url).cache
      const loaded = () => existsSync(${JSON.stringify(log)}) || Object.keys(cache).some((k) => k.includes('/nodemailer/'))
      await import(${JSON.stringify(join(dist, 'index.js'))})
      await import(${JSON.stringify(join(dist, 'cli', 'open-service.js'))})
      const before = loaded()
      const { composeEmail } = await import(${JSON.stringify(join(dist, 'email', 'backends.js'))})
      const raw = (await composeEmail({ from: 'a@example.com', to: 'b@example.com', subject: 'Hi', text: 't', html: '<p>h</p>' })).toString()
      console.log(JSON.stringify({ before, after: loaded(), subject: /^Subject: Hi\\r$/m.test(raw) }))`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    expect(JSON.parse(out)).toEqual({ before: false, after: true, subject: true })
  })
})
