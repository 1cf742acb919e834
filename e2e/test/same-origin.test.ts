import { describeSetUp } from './scenarios.js'
import { startApiServer } from './harness.js'

const ACCESS_LIFETIME = 2

// npm start: the API serves the built app at / on one origin.
describeSetUp('same-origin', ACCESS_LIFETIME, async () => {
  const api = await startApiServer({ env: { COOKIEJWT_ACCESS_TOKEN_LIFETIME: String(ACCESS_LIFETIME) } })
  return { appUrl: api.url, apiUrl: api.url, stop: () => api.stop() }
})
