/** Returns the value of cookie `name` in a `document.cookie` string, or null when absent. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim()
      try {
        return decodeURIComponent(value)
      } catch {
        return value
      }
    }
  }
  return null
}

/** Reads `document.cookie`, or '' outside a browser. */
export function documentCookies(): string {
  return typeof document === 'undefined' ? '' : document.cookie
}
