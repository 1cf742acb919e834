import type { Command } from '../command.js'

/** A sub-command by name, loaded only when run (or for `--help`), so `serve` starts without the others' modules. */
export interface CommandEntry {
  name: string
  load(): Promise<Command>
}

/** Every `cookiejwt` sub-command, in the order `--help` lists them. */
export const COMMANDS: CommandEntry[] = [
  { name: 'migrate', load: async () => (await import('./migrate.js')).migrate },
  {
    name: 'createsuperuser',
    load: async () => (await import('./createsuperuser.js')).createsuperuser,
  },
  { name: 'users', load: async () => (await import('./users.js')).users },
  {
    name: 'changepassword',
    load: async () => (await import('./changepassword.js')).changepassword,
  },
  {
    name: 'flushexpiredtokens',
    load: async () => (await import('./flushexpiredtokens.js')).flushexpiredtokens,
  },
  { name: 'emails', load: async () => (await import('./emails.js')).emails },
  { name: 'verifyemail', load: async () => (await import('./verifyemail.js')).verifyemail },
  { name: 'clearlockout', load: async () => (await import('./clearlockout.js')).clearlockout },
  { name: 'sessions', load: async () => (await import('./sessions.js')).sessions },
  { name: 'mfa', load: async () => (await import('./mfa.js')).mfa },
  {
    name: 'serve',
    load: async () => {
      const [{ serve }, { withWorkers }] = await Promise.all([
        import('./serve.js'),
        import('../workers.js'),
      ])
      return withWorkers(serve)
    },
  },
  { name: 'import-django', load: async () => (await import('./import-django.js')).importDjango },
  { name: 'keys', load: async () => (await import('./keys.js')).keys },
  { name: 'doctor', load: async () => (await import('./doctor.js')).doctor },
]
