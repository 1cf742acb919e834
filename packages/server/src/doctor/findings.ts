/** How bad a finding is: `error` will break sign-in for some or all users; `warning` may; `info` is advice. */
export type FindingLevel = 'error' | 'warning' | 'info'

/** One thing the doctor noticed, in plain words. */
export interface Finding {
  readonly level: FindingLevel
  /** Stable identifier, e.g. `cross-site`, for scripts and tests. */
  readonly code: string
  readonly message: string
}

/** What `cookiejwt doctor` and the diagnostics endpoint return. */
export interface DoctorReport {
  readonly ok: boolean
  readonly findings: readonly Finding[]
}

/** Builds a report: `ok` is false when any finding is an error. */
export function toReport(findings: readonly Finding[]): DoctorReport {
  return { ok: !findings.some((f) => f.level === 'error'), findings }
}

/** The axios configuration that sends Django's CSRF header (axios ≥ 1.6 needs `withXSRFToken` for it). */
export const AXIOS_SNIPPET = `const api = axios.create({
  baseURL: '/api',
  withCredentials: true,      // send and accept the HttpOnly JWT cookies
  withXSRFToken: true,        // axios >= 1.6: also send the CSRF header to other origins
  xsrfCookieName: 'csrftoken',
  xsrfHeaderName: 'X-CSRFToken',
})`

/** Renders a report for a terminal: one block per finding, errors first. */
export function formatReport(report: DoctorReport): string {
  const order: Record<FindingLevel, number> = { error: 0, warning: 1, info: 2 }
  const sorted = [...report.findings].sort((a, b) => order[a.level] - order[b.level])
  const lines = sorted.map(
    (f) =>
      `${f.level.toUpperCase().padEnd(7)} [${f.code}] ${f.message.replace(/\n/g, '\n        ')}`,
  )
  const errors = sorted.filter((f) => f.level === 'error').length
  const warnings = sorted.filter((f) => f.level === 'warning').length
  lines.push(
    '',
    report.ok
      ? `No errors (${warnings} warning(s)).`
      : `${errors} error(s), ${warnings} warning(s).`,
  )
  return `${lines.join('\n')}\n`
}
