import { useAccounts, type ServerFeatures } from '@cookiejwt/react'
import { useEffect, useState } from 'react'

/**
 * What the server offers before sign-in (`GET /api/auth/features/`): null while it is being asked, and when the
 * question failed, so nothing is offered that the server has not said it has.
 */
export function useFeatures(): ServerFeatures | null {
  const accounts = useAccounts()
  const [features, setFeatures] = useState<ServerFeatures | null>(null)
  useEffect(() => {
    let live = true
    accounts.features().then(
      (value) => {
        if (live) setFeatures(value)
      },
      () => {},
    )
    return () => {
      live = false
    }
  }, [accounts])
  return features
}
