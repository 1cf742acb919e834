import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react'

/** The pages of the demo app, decided from the path alone. */
export type Route =
  | { name: 'home' }
  | { name: 'security' }
  | { name: 'admin-users' }
  | { name: 'admin-user'; id: string }
  | { name: 'admin-audit' }
  | { name: 'signup' }
  | { name: 'verify-email'; key: string }
  | { name: 'forgot-password' }
  | { name: 'reset-password'; uid: string; token: string }
  | { name: 'not-found' }

/** Maps a path to its page; a trailing slash is optional, anything unknown is `not-found`. */
export function matchRoute(path: string): Route {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path
  if (clean === '/' || clean === '') return { name: 'home' }
  if (clean === '/security') return { name: 'security' }
  if (clean === '/admin' || clean === '/admin/users') return { name: 'admin-users' }
  if (clean === '/admin/audit') return { name: 'admin-audit' }
  if (clean === '/signup') return { name: 'signup' }
  if (clean === '/forgot-password') return { name: 'forgot-password' }
  // The links of the account emails (docs/http-contract.md): keys and tokens are base64url.
  const verify = /^\/verify-email\/([A-Za-z0-9_-]{1,512})$/.exec(clean)
  if (verify?.[1]) return { name: 'verify-email', key: verify[1] }
  const reset = /^\/reset-password\/([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,512})$/.exec(clean)
  if (reset?.[1] && reset[2]) return { name: 'reset-password', uid: reset[1], token: reset[2] }
  const user = /^\/admin\/users\/(\d{1,18})$/.exec(clean)
  if (user?.[1]) return { name: 'admin-user', id: user[1] }
  return { name: 'not-found' }
}

// A tiny history router: the address bar is the state; pushState does not fire popstate, so navigate()
// tells the subscribers itself.
const listeners = new Set<() => void>()

function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  window.addEventListener('popstate', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('popstate', listener)
  }
}

const snapshot = () => window.location.pathname + window.location.search
const serverSnapshot = () => '/'

/** The current path and query (`/admin?search=ada`), re-rendering on navigation and back/forward. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot, serverSnapshot)
  const url = new URL(href, 'http://app.invalid')
  return { path: url.pathname, query: url.searchParams }
}

/** Goes to `to` (same origin) with pushState, or replaceState when `replace`; `state` rides along. */
export function navigate(to: string, options: { replace?: boolean; state?: unknown } = {}): void {
  const state = options.state ?? null
  if (options.replace) window.history.replaceState(state, '', to)
  else window.history.pushState(state, '', to)
  for (const listener of listeners) listener()
}

/** A link that navigates without reloading; modified clicks (new tab, download) stay the browser's. */
export function Link({
  href,
  onClick,
  ...props
}: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  function onLinkClick(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event)
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey ||
      props.target
    )
      return
    event.preventDefault()
    navigate(href)
  }
  return <a href={href} onClick={onLinkClick} {...props} />
}
