/**
 * `difflib.SequenceMatcher(a=a, b=b).quick_ratio()` of Python: twice the size of the multiset intersection of the
 * two strings' characters over their total length (1 when both are empty). Lengths are in code points, as Python's.
 */
export function quickRatio(a: readonly string[], b: readonly string[]): number {
  const total = a.length + b.length
  if (total === 0) return 1
  const available = new Map<string, number>()
  for (const ch of b) available.set(ch, (available.get(ch) ?? 0) + 1)
  let matches = 0
  for (const ch of a) {
    const n = available.get(ch) ?? 0
    if (n > 0) {
      matches++
      available.set(ch, n - 1)
    }
  }
  return (2 * matches) / total
}

/**
 * Django's `exceeds_maximum_length_ratio`: a value at most a tenth of the password's length can never reach
 * `maxSimilarity`, so the comparison is skipped (it also bounds the work on long passwords).
 */
export function exceedsMaximumLengthRatio(
  passwordLength: number,
  maxSimilarity: number,
  valueLength: number,
): boolean {
  return passwordLength >= 10 * valueLength && valueLength < (maxSimilarity / 2) * passwordLength
}
