import { AccountStore } from '../../accounts/store.js'
import {
  DuplicateUserError,
  validatePassword,
  type PasswordValidatorSettings,
} from '@cookiejwt/core'
import { CommandError, type Command } from '../command.js'
import { openFromEnv } from '../context.js'
import { Prompter } from '../prompt.js'

const USERNAME = /^[\w.@+-]{1,150}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** `cookiejwt createsuperuser`: as Django's, interactive or `--noinput` with COOKIEJWT_SUPERUSER_PASSWORD. */
export const createsuperuser: Command = {
  name: 'createsuperuser',
  summary: 'create a superuser (interactive, or --noinput with COOKIEJWT_SUPERUSER_PASSWORD)',
  usage: 'cookiejwt createsuperuser [--username U] [--email E] [--noinput]',
  options: {
    username: { type: 'string' },
    email: { type: 'string' },
    noinput: { type: 'boolean' },
    'no-input': { type: 'boolean' },
  },
  async run(context) {
    const noinput = Boolean(context.values.noinput || context.values['no-input'])
    let username = context.values.username as string | undefined
    let email = context.values.email as string | undefined
    let password: string | undefined
    if (noinput) {
      username ??= context.env.COOKIEJWT_SUPERUSER_USERNAME
      email ??= context.env.COOKIEJWT_SUPERUSER_EMAIL ?? ''
      password = context.env.COOKIEJWT_SUPERUSER_PASSWORD
      if (!username)
        throw new CommandError(
          '--username (or COOKIEJWT_SUPERUSER_USERNAME) is required with --noinput',
        )
      if (!password)
        throw new CommandError('COOKIEJWT_SUPERUSER_PASSWORD must be set with --noinput')
    }
    checkUsername(username)
    checkEmail(email)
    const opened = await openFromEnv(context)
    const prompter = noinput ? null : new Prompter(context)
    try {
      if (prompter) {
        while (!username) {
          const answer = await prompter.ask('Username: ')
          if (answer === null) throw new CommandError('no username given')
          username = answer.trim()
          if (username && !USERNAME.test(username)) {
            context.stderr.write(
              'Error: Enter a valid username: letters, digits and @/./+/-/_ only, at most 150.\n',
            )
            username = ''
          } else if (username && (await opened.users.findByUsername(username))) {
            context.stderr.write('Error: That username is already taken.\n')
            username = ''
          }
        }
        if (email === undefined) {
          const answer = await prompter.ask('Email address: ')
          email = (answer ?? '').trim()
          checkEmail(email)
        }
        while (password === undefined) {
          const first = await prompter.ask('Password: ', true)
          if (first === null) throw new CommandError('no password given')
          const again = await prompter.ask('Password (again): ', true)
          if (again === null) throw new CommandError('no password given')
          if (first !== again) {
            context.stderr.write("Error: Your passwords didn't match.\n")
            continue
          }
          const problems = problemsOf(
            first,
            username,
            email,
            opened.config.settings.passwordValidators,
          )
          if (problems.length > 0) {
            context.stderr.write(`${problems.join('\n')}\n`)
            continue
          }
          password = first
        }
      }
      const problems = problemsOf(
        password ?? '',
        username ?? '',
        email ?? '',
        opened.config.settings.passwordValidators,
      )
      if (problems.length > 0) throw new CommandError(`password refused: ${problems.join(' ')}`)
      try {
        const created = await opened.users.create(
          {
            username: username as string,
            email: email ?? '',
            isStaff: true,
            isSuperuser: true,
            isActive: true,
            password: await opened.hashers.hash(password as string),
          },
          new Date(),
        )
        // The operator vouches for the address: mandatory email verification never locks a superuser out.
        if (created.email !== '')
          await new AccountStore(opened.handle).markVerified(created.id, created.email, new Date())
      } catch (error) {
        if (error instanceof DuplicateUserError)
          throw new CommandError(`Error: That username is already taken: ${username}`)
        throw error
      }
      context.stdout.write('Superuser created successfully.\n')
      return 0
    } finally {
      prompter?.close()
      await opened.handle.destroy()
    }
  },
}

function checkUsername(username: string | undefined): void {
  if (username !== undefined && !USERNAME.test(username)) {
    throw new CommandError(
      'Enter a valid username: letters, digits and @/./+/-/_ only, at most 150 characters',
    )
  }
}

function checkEmail(email: string | undefined): void {
  if (email !== undefined && email !== '' && (!EMAIL.test(email) || email.length > 254)) {
    throw new CommandError(`Enter a valid email address (got ${JSON.stringify(email)})`)
  }
}

function problemsOf(
  password: string,
  username: string,
  email: string,
  rules: PasswordValidatorSettings,
): string[] {
  if (password === '') return ['This password may not be blank.']
  return validatePassword(password, rules, { username, email })
}
