// Labels for user agents in session lists; apps/web/src/admin/format.ts keeps the same two tables for the rows the
// server does not label (audit entries), and both are tested with the same real user-agent strings.

// First match wins, so the order matters: Edge, Opera, Samsung Internet and headless Chrome also say "Chrome/",
// Chromium says "Chrome/" too, and every Chrome says "Safari/"; only Safari itself also says "Version/".
const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOPT\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Headless Chrome'],
  [/\bChromium\//, 'Chromium'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+\b.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
  [/^python-requests\//, 'python-requests'],
  [/^node|undici/i, 'Node.js'],
]

// iOS says "like Mac OS X" and Android says "Linux": each comes before the system it mentions.
const SYSTEMS: readonly [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
]

/** "Browser on System" from a user agent, as far as a few patterns tell; never throws, "" when nothing matches. */
export function describeDevice(userAgent: string): string {
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1]
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1]
  if (browser && system) return `${browser} on ${system}`
  return browser ?? system ?? ''
}
