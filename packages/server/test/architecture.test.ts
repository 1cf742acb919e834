/**
 * The shape of the source tree: no import cycles between modules of any package (type-only imports included, since
 * they still tie two files' concepts together), and core never imports a framework or a database driver.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const PACKAGES = ['packages/core/src', 'packages/server/src', 'packages/express/src', 'packages/hono/src', 'packages/react/src']

function sources(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sources(path))
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(path)
  }
  return out
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g

function graph(files: string[]): Map<string, string[]> {
  const edges = new Map<string, string[]>()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const targets: string[] = []
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2]) as string
      const base = resolve(dirname(file), spec).replace(/\.js$/, '')
      const target = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((candidate) => files.includes(candidate))
      if (target) targets.push(target)
    }
    edges.set(file, targets)
  }
  return edges
}

function findCycle(edges: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): string[] | null => {
    state.set(node, 'visiting')
    stack.push(node)
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'visiting') return [...stack.slice(stack.indexOf(next)), next]
      if (!state.has(next)) {
        const cycle = visit(next)
        if (cycle) return cycle
      }
    }
    stack.pop()
    state.set(node, 'done')
    return null
  }
  for (const node of edges.keys()) {
    if (!state.has(node)) {
      const cycle = visit(node)
      if (cycle) return cycle
    }
  }
  return null
}

describe('the source tree', () => {
  for (const dir of PACKAGES) {
    it(`has no import cycle in ${dir}`, () => {
      const cycle = findCycle(graph(sources(join(ROOT, dir))))
      expect(cycle?.map((f) => relative(ROOT, f)) ?? null).toBeNull()
    })
  }
  it('keeps frameworks, drivers and React out of @cookiejwt/core', () => {
    for (const file of sources(join(ROOT, 'packages/core/src'))) {
      const text = readFileSync(file, 'utf8')
      expect(text, relative(ROOT, file)).not.toMatch(/from '(fastify|express|hono|next|kysely|pg|better-sqlite3|ioredis|react)[/']/)
    }
  })
})
