// Settings, split by concern under settings/: types.ts (the shapes), defaults.ts (the one defaults table),
// checks.ts (a validator per kind of key), define.ts (defineSettings). This barrel keeps one import path.
export * from './settings/types.js'
export * from './settings/defaults.js'
export { defineSettings } from './settings/define.js'
