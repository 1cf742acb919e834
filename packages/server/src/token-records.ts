import { createHash } from 'node:crypto'
import type { OutstandingToken, VerifiedToken } from '@cookiejwt/core'

/** The stored fingerprint of a refresh token: its SHA-256, never the token itself. */
export function hashToken(token: string): string {
  return `sha256$${createHash('sha256').update(token).digest('hex')}`
}

/** The outstanding-token record (simplejwt's `OutstandingToken`) of a verified refresh token. */
export function outstandingOf(token: VerifiedToken, userId: number | null): OutstandingToken {
  return {
    jti: token.jti,
    userId,
    tokenHash: hashToken(token.raw),
    createdAt: new Date(token.iat * 1000),
    expiresAt: new Date(token.exp * 1000),
  }
}
