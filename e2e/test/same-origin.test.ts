import { describeSetUp } from './scenarios.js'
import { startApiServer } from './harness.js'

const ACCESS_LIFETIME = 2
// Failed logins of one username from one IP before a 429 (the throttle scenario uses an unknown user).
const THROTTLE_AFTER = 3

// npm start: the API serves the built app at / on one origin, http://127.0.0.1:<port>.
describeSetUp(
  'same-origin',
  { accessLifetime: ACCESS_LIFETIME, throttleAfter: THROTTLE_AFTER },
  async () => {
    const api = await startApiServer({
      env: {
        COOKIEJWT_ACCESS_TOKEN_LIFETIME: String(ACCESS_LIFETIME),
        COOKIEJWT_SETTINGS: JSON.stringify({ throttle: { failuresPerUsernameIp: THROTTLE_AFTER } }),
      },
    })
    // As `npm start` prints it: http://127.0.0.1:<port>.
    const url = `http://127.0.0.1:${api.port}`
    return { appUrl: url, apiUrl: url, stop: () => api.stop() }
  },
)
