// cookiejwt's own scenarios (filled in once the foundation lands).
export async function cookiejwtScenarios() {
  return []
}
