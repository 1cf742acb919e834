export async function djangoScenarios() {
  return []
}
