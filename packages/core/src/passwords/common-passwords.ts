import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

/** Django's `common-passwords.txt.gz`, shipped in the package's `data/` folder (see data/README.md for its licence). */
export const DEFAULT_PASSWORD_LIST_PATH = fileURLToPath(
  new URL('../../data/common-passwords.txt.gz', import.meta.url),
)

const lists = new Map<string, ReadonlySet<string>>()

/**
 * Loads a password list once per path, as Django's `CommonPasswordValidator` does: gzip or plain text, one password
 * a line, each line stripped. Throws when the file cannot be read.
 */
export function loadPasswordList(path: string = DEFAULT_PASSWORD_LIST_PATH): ReadonlySet<string> {
  let list = lists.get(path)
  if (!list) {
    const raw = readFileSync(path)
    // gzip magic number (RFC 1952 §2.3.1); Django falls back to plain text the same way.
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8')
    list = new Set(
      text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 0),
    )
    lists.set(path, list)
  }
  return list
}
