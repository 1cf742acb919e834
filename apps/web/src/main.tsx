import { AuthProvider, createAuthClient } from '@cookiejwt/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app.js'
import './styles.css'

const client = createAuthClient({ baseUrl: import.meta.env.VITE_API_URL ?? '' })
const root = document.getElementById('root')
if (!root) throw new Error('#root is missing from index.html')

createRoot(root).render(
  <StrictMode>
    <AuthProvider client={client}>
      <App />
    </AuthProvider>
  </StrictMode>,
)
