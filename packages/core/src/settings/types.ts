// Over 300 lines on purpose: every settings interface with its TSDoc (@default), the reference users read.
// The shapes of cookiejwt's settings: what `defineSettings` takes and what it returns.
import { type Duration } from '../durations.js'
import type { User } from '../user.js'
import { type Algorithm, type SigningKey, type SigningKeyInput } from '../tokens/keys.js'
import type { PasswordValidatorSettings } from '../passwords/validators.js'
import { type UserTableInput, type UserTableSettings } from '../user-table.js'

export type { Algorithm } from '../tokens/keys.js'

/** `SameSite` attribute of a cookie; `false` leaves the attribute out. */
export type SameSite = 'Lax' | 'Strict' | 'None' | false

/** Attributes of one cookie, after `AUTH_COOKIE_*` of the seed. */
export interface CookieSettings {
  /** Cookie name. */
  readonly name: string
  /** `Domain` attribute; `null` makes a host-only cookie. @default null */
  readonly domain: string | null
  /** `Path` attribute. */
  readonly path: string
  /** `Secure` attribute. The CLI turns it on when `NODE_ENV=production`. @default false */
  readonly secure: boolean
  /** `HttpOnly` attribute. @default true */
  readonly httpOnly: boolean
  /** `SameSite` attribute. @default 'Lax' */
  readonly sameSite: SameSite
  /** `Partitioned` attribute (CHIPS: one cookie jar per top-level site); requires `secure`. @default false */
  readonly partitioned: boolean
}

/** A cookie an older configuration set (another name, `Path` or `Domain`), cleared on login, refresh and logout. */
export interface LegacyCookie {
  readonly name: string
  readonly path: string
  /** `null` for a host-only cookie. */
  readonly domain: string | null
}

/**
 * How far `X-Forwarded-For`/`-Proto`/`-Host` are believed: `false`, not at all; a number `n`, the entry `n` hops from
 * the right (the address the outermost of `n` proxies saw; Express's `trust proxy` number); `true`, every hop (the
 * left-most entry, the client's own word unless the proxy overwrites the header).
 */
export type TrustProxy = boolean | number

/** A cookie name prefix that makes browsers enforce attributes (RFC 6265bis §4.1.3). */
export type CookiePrefix = '__Host-' | '__Secure-'

/** Django-compatible CSRF settings (`CSRF_COOKIE_*`, `CSRF_HEADER_NAME`, `CSRF_TRUSTED_ORIGINS`). */
export interface CsrfSettings {
  /** @default 'csrftoken' */
  readonly cookieName: string
  /** Request header carrying the token. @default 'X-CSRFToken' */
  readonly headerName: string
  /** Cookie lifetime in seconds (Django's one year). @default 31449600 */
  readonly cookieAge: number
  /** @default '/' */
  readonly cookiePath: string
  /** @default null */
  readonly cookieDomain: string | null
  /** @default false */
  readonly cookieSecure: boolean
  /** @default 'Lax' */
  readonly cookieSameSite: SameSite
  /** `Partitioned` attribute of the CSRF cookie (CHIPS); requires `cookieSecure`. @default false */
  readonly cookiePartitioned: boolean
  /**
   * Origins (scheme://host[:port]) trusted for unsafe requests besides the server's own; `https://*.example.com`
   * matches exactly one subdomain label. Defaults to the CORS origins.
   */
  readonly trustedOrigins: readonly string[]
}

/** CORS settings (django-cors-headers' `CORS_ALLOWED_ORIGINS`, `CORS_ALLOW_CREDENTIALS`). */
export interface CorsSettings {
  /**
   * Origins allowed to call the API with credentials: exact, or `https://*.example.com` for exactly one subdomain label.
   * @default ['http://localhost:3000', 'http://127.0.0.1:3000']
   */
  readonly allowedOrigins: readonly string[]
  /** @default true */
  readonly allowCredentials: boolean
  /** Preflight cache lifetime in seconds. @default 86400 */
  readonly maxAge: number
}

/**
 * Login throttling and lockout (after django-axes and DRF throttles); windows in seconds. The defaults hold OWASP
 * ASVS's ceiling of 100 failed logins per hour against one account from any number of addresses: a key's window starts
 * at its first failure, so any hour overlaps at most two windows of one key, 2 × 50 = 100. One address spraying
 * passwords over many usernames is stopped after 30 failures.
 */
export interface ThrottleSettings {
  /** Throttle login, token and refresh endpoints at all. @default true */
  readonly enabled: boolean
  /** Length of the fixed counting window in seconds; a lockout lasts for the rest of it. @default 3600 ('1h') */
  readonly window: number
  /** Failed logins for one username from one IP before that pair is locked. @default 10 */
  readonly failuresPerUsernameIp: number
  /** Failed logins for one username from all IPs before the username is locked everywhere. @default 50 */
  readonly failuresPerUsername: number
  /** Failed logins and refreshes from one IP (any username) before the IP is locked. @default 30 */
  readonly failuresPerIp: number
}

/** The TOTP second factor (RFC 6238): the otpauth issuer, the keys protecting secrets, code throttling. */
export interface MfaSettings {
  /** Issuer of `otpauth://` URLs: the name an authenticator app shows beside the account. @default 'cookiejwt' */
  readonly issuer: string
  /**
   * Secrets (each at least 32 bytes) that encrypt TOTP secrets and key the backup-code hashes: the first protects
   * new values, every one still opens old ones (rotation). Empty: derived from the signing key(s), so that rotating
   * the signing key away also makes enrolled secrets unreadable — set this in production. @default []
   */
  readonly keys: readonly string[]
  /**
   * Wrong codes for one user, from every IP, in one `throttle.window` before that user's codes are refused (429);
   * counted even when `throttle.enabled` is false: a second factor without a guess limit is none. @default 5
   */
  readonly failuresPerUser: number
  /**
   * Lifetime of the token between a login's password step and its code step (or, for a user who must enrol, the
   * enrolment), in seconds. @default 300 ('5m')
   */
  readonly tokenLifetime: number
  /**
   * Who must use TOTP (ASVS 5.0 §6.3.3): `'none'`, `'staff'` (`is_staff` or `is_superuser`) or `'all'`. A covered
   * user without a confirmed authenticator gets no session at login: 403 `mfa_enrollment_required` and a token good
   * only for enrolling, which ends the login once the first code is confirmed. @default 'none'
   */
  readonly required: MfaRequired
}

/** Who must sign in with a second factor (`mfa.required`). */
export type MfaRequired = 'none' | 'staff' | 'all'

/** Which backend delivers email (Django's `EMAIL_BACKEND`). */
export type EmailBackendName = 'smtp' | 'console' | 'file'

/** allauth's `ACCOUNT_EMAIL_VERIFICATION`. */
export type EmailVerification = 'mandatory' | 'optional' | 'none'

/** Outgoing email: the backend, the sender and the delivery queue's retries. */
export interface EmailSettings {
  /** `file` writes one RFC 5322 `.eml` file per message (development), `console` prints, `smtp` sends. @default 'file' */
  readonly backend: EmailBackendName
  /** Folder of the `file` backend; relative paths are resolved against the working directory. @default 'data/emails' */
  readonly filePath: string
  /** `smtp://user:password@host:port` or `smtps://…` (implicit TLS); required by the `smtp` backend. @default null */
  readonly url: string | null
  /** Sender address, `addr@example.com` or `Name <addr@example.com>` (Django's `DEFAULT_FROM_EMAIL`). @default 'webmaster@localhost' */
  readonly from: string
  /** A folder whose `<template>.subject.txt`, `.txt` and `.html` files replace the built-in templates. @default null */
  readonly templatesDir: string | null
  /** Deliveries tried before a message is marked failed (then `cookiejwt emails retry`). @default 5 */
  readonly maxAttempts: number
  /** Seconds before the first retry; each further retry waits twice as long (at most an hour). @default 30 */
  readonly retryDelay: number
}

/** Settings after validation: every key present, durations in seconds, frozen. */
export interface AuthSettings {
  /** Signing key (simplejwt `SIGNING_KEY`); an HMAC key must be at least 32 bytes. */
  readonly signingKey: string
  /** Verifying key: the PEM public key for an asymmetric `algorithm`; for HMAC it is the signing key. @default null */
  readonly verifyingKey: string | null
  /** Algorithm of `signingKey`: HS256/384/512, or RS256, ES256, EdDSA with a PEM private key. @default 'HS256' */
  readonly algorithm: Algorithm
  /**
   * A key set for rotation: each `{ kid, algorithm, key, publicKey?, active? }`; the one active key signs (its `kid`
   * goes in the header), every key verifies tokens carrying its `kid`. When set, `signingKey` is optional and, when
   * given, verifies only tokens without a `kid` (issued before the key set). @default []
   */
  readonly signingKeys: readonly SigningKey[]
  /** `aud` claim written and required when set. @default null */
  readonly audience: string | null
  /** `iss` claim written and required when set. @default null */
  readonly issuer: string | null
  /** Clock skew tolerated on `exp`/`nbf`, in seconds. @default 0 */
  readonly leeway: number
  /** @default 300 ('5m') */
  readonly accessTokenLifetime: number
  /** @default 86400 ('1d') */
  readonly refreshTokenLifetime: number
  /** @default 300 ('5m') */
  readonly slidingTokenLifetime: number
  /** @default 86400 ('1d') */
  readonly slidingTokenRefreshLifetime: number
  /** Issue a new refresh token on refresh (simplejwt default: false). @default true */
  readonly rotateRefreshTokens: boolean
  /** Blacklist the old refresh token after rotation (simplejwt default: false). @default true */
  readonly blacklistAfterRotation: boolean
  /**
   * Write `last_login` on every login (cookie and Bearer), as Django's session login does; simplejwt's
   * `UPDATE_LAST_LOGIN` (default `False` there) maps to it, so `false` turns it off. @default true
   */
  readonly updateLastLogin: boolean
  /** Accepted `Authorization` schemes. @default ['Bearer'] */
  readonly authHeaderTypes: readonly string[]
  /** Header read for the token (simplejwt `AUTH_HEADER_NAME`, as an HTTP header name). @default 'authorization' */
  readonly authHeaderName: string
  /** User field stored in the token. @default 'id' */
  readonly userIdField: 'id' | 'username'
  /** @default 'user_id' */
  readonly userIdClaim: string
  /** @default 'token_type' */
  readonly tokenTypeClaim: string
  /** @default 'jti' */
  readonly jtiClaim: string
  /** Whether an authenticated user may proceed (simplejwt `USER_AUTHENTICATION_RULE`). @default user.isActive */
  readonly userAuthenticationRule: (user: User) => boolean
  /** Trust the token's claims without loading the user (simplejwt `JWTStatelessUserAuthentication`). @default false */
  readonly statelessUser: boolean
  /** The access-token cookie (seed: `AUTH_COOKIE*`). */
  readonly authCookie: CookieSettings
  /** The refresh-token cookie; path-scoped to the auth endpoints. */
  readonly refreshCookie: CookieSettings
  readonly csrf: CsrfSettings
  readonly cors: CorsSettings
  /** Also return the tokens in the login JSON body (the seed's behaviour; defeats HttpOnly). @default false */
  readonly returnTokensInBody: boolean
  /** Hasher writing new password hashes. @default 'argon2' */
  readonly passwordHasher: string
  /** Cost options for the password hashers (see the hashers module). @default {} */
  readonly passwordHasherOptions: Readonly<Record<string, unknown>>
  /**
   * Rules for new passwords, Django's default `AUTH_PASSWORD_VALIDATORS` (similarity to the user's attributes,
   * minimum length 8, Django's common-password list, not entirely numeric); each has `enabled`.
   */
  readonly passwordValidators: PasswordValidatorSettings
  /** Largest accepted request body in bytes. @default 65536 */
  readonly bodyLimit: number
  /**
   * Seconds after a rotation during which the rotated refresh token, presented again (a concurrent tab), gets the
   * same successor pair instead of revoking its session family. At most 9. @default 5
   */
  readonly refreshGraceWindow: number
  /** Refuse access tokens of revoked sessions and of older session versions on every request. @default true */
  readonly revocationChecks: boolean
  /** How long a process caches a session's "not revoked" status and a user's session version, in seconds. @default 2 */
  readonly revocationCacheTtl: number
  /** Login throttling and lockout. */
  readonly throttle: ThrottleSettings
  /** The TOTP second factor. */
  readonly mfa: MfaSettings
  /**
   * Absolute lifetime of a session (a refresh-token family) counted from the login, in seconds: rotation never
   * extends a session past it, so an active user logs in again at least this often (OWASP ASVS 5.0 §7.3.2). `null` lets
   * rotation extend a session for ever. @default 2592000 ('30d')
   */
  readonly sessionMaxLifetime: number | null
  /**
   * How long after a login sensitive changes (ending sessions, changing the email address) go through without the
   * password again, in seconds, counted from the session's `auth_time`; after it they need `{"password"}` in the
   * body (OWASP ASVS 5.0 §7.5.1, §7.5.2). `0` asks for the password every time. @default 600 ('10m')
   */
  readonly reauthWindow: number
  /**
   * `Strict-Transport-Security: max-age=<this>; includeSubDomains` on every response to an HTTPS request (OWASP ASVS
   * 5.0 §3.4.1; browsers ignore the header over plain HTTP). `null` sends none (e.g. the proxy sets it). @default
   * 31536000 ('365d')
   */
  readonly hstsMaxAge: number | null
  /**
   * Prefix of both JWT cookie names. `'__Host-'` forces `Secure`, `Path=/` and no `Domain` on both — so the refresh
   * cookie is sent on every request, not only to the auth endpoints; `'__Secure-'` forces `Secure` only. @default null
   */
  readonly cookiePrefix: CookiePrefix | null
  /** Cookies set by an older configuration (name, path, domain); cleared on login, refresh and logout. @default [] */
  readonly legacyCookies: readonly LegacyCookie[]
  /**
   * The reverse proxies in front of the server, whose `X-Forwarded-For`/`-Proto`/`-Host` decide the client IP, scheme
   * and host: `false` none (the socket decides), `n` that many (each header's `n`-th entry from the right: what the
   * outermost proxy saw, so an appending proxy stays safe), `true` every hop (the left-most entry: safe only when the
   * proxy overwrites the headers). `0` is `false`. Over HTTPS every cookie gets `Secure`. @default false
   */
  readonly trustProxy: TrustProxy
  /** Register `GET /api/auth/diagnostics/` (never when `NODE_ENV=production`). @default false */
  readonly diagnostics: boolean
  /**
   * Serve the OpenAPI 3.1 document at `/api/schema/` and the interactive reference at `/api/docs/`: `true` always,
   * `false` never, `null` unless `NODE_ENV=production`. @default null
   */
  readonly apiDocs: boolean | null
  /** Let anyone create an account with `POST /api/auth/register/`. @default false */
  readonly registration: boolean
  /**
   * allauth's `ACCOUNT_EMAIL_VERIFICATION`: `mandatory` refuses logins until the address is verified, `optional`
   * sends the link but lets people in, `none` sends nothing. @default 'optional'
   */
  readonly emailVerification: EmailVerification
  /** Base URL of the front end, for links in emails (`<frontendUrl>/verify-email/<key>`). The CLI defaults it to its own origin. @default null */
  readonly frontendUrl: string | null
  /** Lifetime of an email verification link in seconds (allauth: 3 days). @default 259200 ('3d') */
  readonly emailVerificationLifetime: number
  /** Lifetime of a password reset link in seconds (Django's `PASSWORD_RESET_TIMEOUT`). @default 259200 ('3d') */
  readonly passwordResetTimeout: number
  /** Send a "no account here" email when a reset is asked for an unknown address (allauth's `ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS`). @default true */
  readonly passwordResetUnknownAccounts: boolean
  /** Outgoing email. */
  readonly email: EmailSettings
  /**
   * Seconds `cookiejwt serve` waits after SIGTERM/SIGINT for open connections to finish and close before it
   * destroys them and exits 1. @default 10
   */
  readonly shutdownTimeout: number
  /**
   * The table users live in: Django's `auth_user` by default, or an existing table of the application (names, id
   * type, flag storage, hash format; see docs/user-table.md). Checked against the real schema at start-up.
   */
  readonly userTable: UserTableSettings
}

/** What `defineSettings` accepts: every key optional except `signingKey`; durations as seconds or '5m'. */
export type AuthSettingsInput = {
  [K in keyof AuthSettings]?: K extends
    | 'accessTokenLifetime'
    | 'refreshTokenLifetime'
    | 'slidingTokenLifetime'
    | 'slidingTokenRefreshLifetime'
    | 'leeway'
    | 'refreshGraceWindow'
    | 'revocationCacheTtl'
    | 'emailVerificationLifetime'
    | 'passwordResetTimeout'
    | 'shutdownTimeout'
    | 'reauthWindow'
    ? Duration
    : K extends 'sessionMaxLifetime' | 'hstsMaxAge'
      ? Duration | null
      : K extends 'throttle'
        ? Partial<Omit<ThrottleSettings, 'window'>> & { window?: Duration }
        : K extends 'email'
          ? Partial<Omit<EmailSettings, 'retryDelay'>> & { retryDelay?: Duration }
          : K extends 'passwordValidators'
            ? { [R in keyof PasswordValidatorSettings]?: Partial<PasswordValidatorSettings[R]> }
            : K extends 'mfa'
              ? Partial<Omit<MfaSettings, 'tokenLifetime'>> & { tokenLifetime?: Duration }
              : K extends 'userTable'
                ? UserTableInput
                : K extends 'signingKeys'
                  ? readonly SigningKeyInput[]
                  : AuthSettings[K] extends CookieSettings | CsrfSettings | CorsSettings
                    ? Partial<AuthSettings[K]>
                    : AuthSettings[K]
}
