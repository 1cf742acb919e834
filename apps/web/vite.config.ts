import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// `npm run dev -w @cookiejwt/web` serves the app on http://localhost:3000 (the seed's React dev server);
// set VITE_API_URL=http://localhost:8000 to talk to the API there (CORS with credentials).
export default defineConfig({
  plugins: [react()],
  server: { host: 'localhost', port: 3000, strictPort: true },
  preview: { host: 'localhost', port: 3000, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0 },
})
