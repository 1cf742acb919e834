'use client'
import { useState, type FormEvent } from 'react'

export default function LoginPage() {
  const [error, setError] = useState('')
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const res = await fetch('/api/auth/login/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
    })
    if (res.ok) window.location.assign(new URLSearchParams(window.location.search).get('next') ?? '/account')
    else setError(((await res.json()) as { detail?: string }).detail ?? 'Sign-in failed')
  }
  return (
    <form onSubmit={submit}>
      <input name="username" autoComplete="username" required />
      <input name="password" type="password" autoComplete="current-password" required />
      <button>Sign in</button>
      {error && <p role="alert">{error}</p>}
    </form>
  )
}
