import { AuthError, ValidationError, type User } from '@cookiejwt/core'

/** Who acts: a signed-in user (as the database has them now) or the CLI, which acts with a superuser's rights. */
export type Acting =
  { readonly kind: 'user'; readonly user: User } | { readonly kind: 'cli'; readonly osUser: string }

/** The user fields an admin may change. */
export interface AdminUserChanges {
  email?: string
  firstName?: string
  lastName?: string
  isActive?: boolean
  isStaff?: boolean
  isSuperuser?: boolean
}

/** DRF's message for a refused permission. */
export const PERMISSION_DENIED = 'You do not have permission to perform this action.'

/** Whether the acting party has superuser rights. */
export function isSuperuserActing(acting: Acting): boolean {
  return acting.kind === 'cli' || (acting.user.isSuperuser && acting.user.isActive)
}

/** Throws 403 `permission_denied` unless the party may use the admin at all: active staff, or the CLI. */
export function assertMayAdminister(acting: Acting): void {
  if (acting.kind === 'cli') return
  if (!acting.user.isActive || !acting.user.isStaff)
    throw new AuthError('permission_denied', PERMISSION_DENIED)
}

/**
 * Throws 403 when a staff user who is not a superuser would act on a superuser: setting a superuser's password, or
 * deactivating one, would hand their rights to a lesser account (Django's admin allows it; cookiejwt does not).
 */
export function assertMayActOn(acting: Acting, target: User): void {
  assertMayAdminister(acting)
  if (target.isSuperuser && !isSuperuserActing(acting)) {
    throw new AuthError('permission_denied', 'Only a superuser can change a superuser.')
  }
}

/** The subset of `patch` that differs from `target` (a PATCH echoing current values changes nothing). */
export function effectiveChanges(target: User, patch: AdminUserChanges): AdminUserChanges {
  const changes: AdminUserChanges = {}
  for (const key of [
    'email',
    'firstName',
    'lastName',
    'isActive',
    'isStaff',
    'isSuperuser',
  ] as const) {
    const value = patch[key]
    if (value !== undefined && value !== target[key])
      (changes as Record<string, unknown>)[key] = value
  }
  return changes
}

/** Throws 403 unless a superuser grants (or on create, sets) staff or superuser status. */
export function assertMayGrant(
  acting: Acting,
  changes: Pick<AdminUserChanges, 'isStaff' | 'isSuperuser'>,
): void {
  if (
    (changes.isStaff !== undefined || changes.isSuperuser !== undefined) &&
    !isSuperuserActing(acting)
  ) {
    throw new AuthError(
      'permission_denied',
      'Only a superuser can grant or remove staff or superuser status.',
    )
  }
}

/**
 * The rules of one update, except the last-superuser rule (which needs the database, inside the transaction):
 * may act on the target, only a superuser changes the flags, nobody removes their own flags or deactivates themselves.
 */
export function checkUpdate(acting: Acting, target: User, changes: AdminUserChanges): void {
  if (Object.keys(changes).length === 0) {
    assertMayAdminister(acting)
    return
  }
  assertMayActOn(acting, target)
  assertMayGrant(acting, changes)
  if (acting.kind === 'user' && acting.user.id === target.id) {
    const errors: Record<string, string[]> = {}
    if (changes.isStaff === false) errors.is_staff = ['You cannot remove your own staff status.']
    if (changes.isSuperuser === false)
      errors.is_superuser = ['You cannot remove your own superuser status.']
    if (changes.isActive === false) errors.is_active = ['You cannot deactivate your own account.']
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  }
}

/** Throws unless the party may delete `target` (never themselves). */
export function checkDelete(acting: Acting, target: User): void {
  assertMayActOn(acting, target)
  if (acting.kind === 'user' && acting.user.id === target.id) {
    throw new AuthError('permission_denied', 'You cannot delete your own account.')
  }
}

/** Whether a change takes `target` out of the active superusers. */
export function removesActiveSuperuser(
  target: User,
  after: { isActive?: boolean; isSuperuser?: boolean } | 'deleted',
): boolean {
  if (!target.isSuperuser || !target.isActive) return false
  if (after === 'deleted') return true
  return after.isActive === false || after.isSuperuser === false
}

/** Whether a change ends the user's access at once (their sessions and access tokens die on the next request). */
export function endsAccess(target: User, changes: AdminUserChanges): boolean {
  return (
    (changes.isActive === false && target.isActive) ||
    (changes.isStaff === false && target.isStaff) ||
    (changes.isSuperuser === false && target.isSuperuser)
  )
}
