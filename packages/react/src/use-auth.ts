import { useContext } from 'react'
import { AuthContext, type AuthContextValue } from './auth-provider.js'

/** Returns `{ user, status, error, login, logout, refresh, api }`; throws outside an `<AuthProvider>`. */
export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext)
  if (!value) throw new Error('useAuth() must be used inside <AuthProvider>')
  return value
}
