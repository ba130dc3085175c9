import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TestHarnessError } from './errors.ts'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** A copy of the repository's `alerts/` and `dashboards/` in a temporary folder, to break a file at a time. */
export interface DeclarationsCopy {
  /** The temporary folder holding `alerts/` and `dashboards/`. */
  root: string
  /** Where the declarations of the copy are, as `loadDeclarations` takes them. */
  dirs: { alertsDir: string; rulesDir: string; intentDir: string; dashboardsDir: string; routingFile: string }
  /**
   * Replace the first `from` by `to` in a copied file (`relative` to {@link DeclarationsCopy.root});
   * the file's path and the 1-based line where `from` began.
   */
  breakFile(relative: string, from: string, to: string): { file: string; line: number }
  /** Delete the copy. */
  remove(): void
}

/** Copy the repository's declarations into a new temporary folder. */
export function copyDeclarations(): DeclarationsCopy {
  const root = mkdtempSync(join(tmpdir(), 'palisade-declarations-'))
  cpSync(join(repoRoot, 'alerts'), join(root, 'alerts'), { recursive: true })
  cpSync(join(repoRoot, 'dashboards'), join(root, 'dashboards'), { recursive: true })
  return {
    root,
    dirs: {
      alertsDir: join(root, 'alerts'),
      rulesDir: join(root, 'alerts', 'rules'),
      intentDir: join(root, 'alerts', 'intent'),
      dashboardsDir: join(root, 'dashboards'),
      routingFile: join(root, 'alerts', 'routing.yaml'),
    },
    breakFile(relative, from, to) {
      const file = join(root, relative)
      const text = readFileSync(file, 'utf8')
      const at = text.indexOf(from)
      if (at < 0)
        throw new TestHarnessError(
          'HARNESS_MISUSED',
          `${relative} no longer contains ${JSON.stringify(from)}`,
        )
      writeFileSync(file, text.slice(0, at) + to + text.slice(at + from.length))
      return { file, line: text.slice(0, at).split('\n').length }
    },
    remove() {
      rmSync(root, { recursive: true, force: true })
    },
  }
}
