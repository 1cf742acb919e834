import { createHash } from 'node:crypto'
import type {
  IssuedToken,
  OutstandingToken,
  TokenStore,
  UserId,
  VerifiedToken,
} from '@cookiejwt/core'

/** The stored fingerprint of a refresh token: its SHA-256, never the token itself. */
export function hashToken(token: string): string {
  return `sha256$${createHash('sha256').update(token).digest('hex')}`
}

/** The outstanding-token record (simplejwt's `OutstandingToken`) of a verified refresh token. */
export function outstandingOf(token: VerifiedToken, userId: UserId | null): OutstandingToken {
  return {
    jti: token.jti,
    userId,
    tokenHash: hashToken(token.raw),
    createdAt: new Date(token.iat * 1000),
    expiresAt: new Date(token.exp * 1000),
  }
}

/** Records a freshly issued refresh token as outstanding (simplejwt's `OutstandingToken`): the one writer of those rows. */
export async function recordIssuedRefresh(
  tokens: TokenStore,
  refresh: IssuedToken,
  userId: UserId | null,
  now: Date,
): Promise<void> {
  await tokens.recordOutstanding({
    jti: refresh.jti,
    userId,
    tokenHash: hashToken(refresh.token),
    createdAt: now,
    expiresAt: refresh.expiresAt,
  })
}
