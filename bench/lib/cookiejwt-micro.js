// cookiejwt's own micro-benchmark tasks (added once the foundation lands).
export async function cookiejwtMicro() {
  return 'cookiejwt not built yet'
}
