import { useCallback, useEffect, useState } from 'react'

/** The state of one load: the last data, the error of the last attempt, and whether one is running. */
export interface Loaded<T> {
  data: T | null
  error: unknown
  loading: boolean
  /** Loads again (after a change), keeping the old data on screen meanwhile. */
  reload: () => void
}

/**
 * Runs `load` when `key` changes (and on `reload()`); an answer that arrives after a newer load started is
 * dropped, so fast clicks on "Next" never show an older page.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(true)
  const [round, setRound] = useState(0)
  useEffect(() => {
    let live = true
    setLoading(true)
    load().then(
      (value) => {
        if (!live) return
        setData(value)
        setError(null)
        setLoading(false)
      },
      (e: unknown) => {
        if (!live) return
        setError(e)
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
    // `load` is a new closure every render; `key` says when it asks for something else.
  }, [key, round])
  const reload = useCallback(() => setRound((r) => r + 1), [])
  return { data, error, loading, reload }
}
