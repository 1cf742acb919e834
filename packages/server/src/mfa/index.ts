export {
  confirmTotp,
  disableTotp,
  INVALID_CODE,
  isTotpEnabled,
  regenerateBackupCodes,
  setupTotp,
  totpStatus,
  verifySecondFactor,
} from './flows.js'
export type { MfaContext, MfaDeps, MfaEvent, TotpStatus } from './flows.js'
export { BACKUP_CODE_COUNT, generateBackupCodes, normalizeBackupCode } from './backup-codes.js'
export { MfaKeyRing, mfaKeyRingFromSettings } from './key-ring.js'
export { KyselyMfaStore } from './store.js'
export type { TotpDevice } from './store.js'
export { CodeThrottle, mfaThrottleKey } from './throttle.js'
export {
  generateTotpCode,
  generateTotpSecret,
  totpStep,
  totpUri,
  verifyTotpCode,
  TOTP_PERIOD,
  TOTP_WINDOW,
} from './totp.js'
export { beginMfaLogin, finishMfaLogin } from './login.js'
export type { MfaLoginDeps, PasswordStepResult } from './login.js'
