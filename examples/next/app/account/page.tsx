import { getUser } from '@cookiejwt/next'
import { redirect } from 'next/navigation'

// A server component: the user comes from the access cookie, checked against the database.
export default async function AccountPage() {
  const user = await getUser()
  if (!user) redirect('/login?next=/account')
  return <p>Signed in as {'isTokenUser' in user ? `user ${user.id}` : user.username}.</p>
}
