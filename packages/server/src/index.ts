export { buildApp } from './app.js'
export type { AppDeps } from './app.js'
export { cookiejwt, sendServiceResponse, toServiceRequest } from './plugin.js'
export type { CookiejwtPluginOptions } from './plugin.js'
export { fromFastifyError, renderError, sendError, STATUS_BY_CODE } from './errors.js'
export type { ErrorBody } from './errors.js'
export * from './service/index.js'
export {
  authenticateWithPassword,
  blacklistRefreshToken,
  completeLogin,
  completeLoginWithUser,
  issuePairFor,
  loginWithPassword,
  refreshTokens,
} from './flows.js'
export { hashToken, outstandingOf } from './token-records.js'
export { logSecurityEvent, usernameDigest } from './security-log.js'
export type { SecurityEventFields, SecurityEventName, SecurityLogger } from './security-log.js'
export {
  requireRecentAuthentication,
  REAUTH_REQUIRED_MESSAGE,
  REAUTH_WRONG_PASSWORD,
} from './reauth.js'
export type { FlowDeps, IssuedPair } from './flows.js'
export { DEFAULT_DATABASE_URL, openDatabase } from './storage/db.js'
export type { DatabaseHandle, DialectName } from './storage/db.js'
export { migrateToLatest, pendingMigrations, MIGRATION_TABLE } from './storage/migrate.js'
export { KyselyUserStore } from './storage/users.js'
export { KyselyTokenStore } from './storage/tokens.js'
export type { Database } from './storage/schema.js'
export { loadConfig } from './cli/config.js'
export { createServiceFromEnv } from './cli/open-service.js'
export type { EnvService, EnvServiceOptions } from './cli/open-service.js'
export type { CliConfig } from './cli/config.js'
export {
  beginMfaLogin,
  CodeThrottle,
  confirmTotp,
  finishMfaLogin,
  disableTotp,
  generateTotpCode,
  isTotpEnabled,
  KyselyMfaStore,
  MfaKeyRing,
  mfaKeyRingFromSettings,
  regenerateBackupCodes,
  setupTotp,
  totpStatus,
  verifySecondFactor,
} from './mfa/index.js'
export type {
  MfaContext,
  MfaDeps,
  MfaEvent,
  MfaLoginDeps,
  PasswordStepResult,
  TotpStatus,
} from './mfa/index.js'
export {
  ConsoleEmailBackend,
  EmailQueue,
  EmailWorker,
  FileEmailBackend,
  Mailer,
  PermanentEmailError,
  SmtpEmailBackend,
  composeEmail,
  createEmailBackend,
  loadEmailTemplates,
  renderEmail,
  DEFAULT_EMAIL_TEMPLATES,
} from './email/index.js'
export type {
  EmailBackend,
  EmailStatus,
  EmailSummary,
  EmailTemplate,
  EmailTemplateName,
  EmailWorkerEvent,
  OutgoingEmail,
  QueuedEmail,
} from './email/index.js'
