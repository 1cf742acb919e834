import { describe, expect, it } from 'vitest'
import { loadConfig, loadShutdownTimeout } from './config.js'

const KEY = 'k'.repeat(48)

describe('shutdownTimeout from the environment', () => {
  it('reads COOKIEJWT_SHUTDOWN_TIMEOUT as seconds or a duration, default 10', () => {
    expect(loadConfig({ COOKIEJWT_SIGNING_KEY: KEY }).settings.shutdownTimeout).toBe(10)
    expect(
      loadConfig({ COOKIEJWT_SIGNING_KEY: KEY, COOKIEJWT_SHUTDOWN_TIMEOUT: '3' }).settings
        .shutdownTimeout,
    ).toBe(3)
    expect(
      loadConfig({ COOKIEJWT_SIGNING_KEY: KEY, COOKIEJWT_SHUTDOWN_TIMEOUT: '1m' }).settings
        .shutdownTimeout,
    ).toBe(60)
    expect(() =>
      loadConfig({ COOKIEJWT_SIGNING_KEY: KEY, COOKIEJWT_SHUTDOWN_TIMEOUT: 'soon' }),
    ).toThrow(/"shutdownTimeout" must be a whole number of seconds/)
  })

  it('gives the cluster primary the same value without loading a key, and the default for a bad one', () => {
    expect(loadShutdownTimeout({})).toBe(10)
    expect(loadShutdownTimeout({ COOKIEJWT_SHUTDOWN_TIMEOUT: '30s' })).toBe(30)
    expect(loadShutdownTimeout({ COOKIEJWT_SETTINGS: '{"shutdownTimeout":"2m"}' })).toBe(120)
    expect(
      loadShutdownTimeout({
        COOKIEJWT_SETTINGS: '{"shutdownTimeout":5}',
        COOKIEJWT_SHUTDOWN_TIMEOUT: '7',
      }),
    ).toBe(7)
    expect(loadShutdownTimeout({ COOKIEJWT_SHUTDOWN_TIMEOUT: 'soon' })).toBe(10)
    expect(loadShutdownTimeout({ COOKIEJWT_SETTINGS: 'not json' })).toBe(10)
  })
})
