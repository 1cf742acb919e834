/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the API, e.g. `http://localhost:8000`; empty or unset means same origin. */
  readonly VITE_API_URL?: string
}
