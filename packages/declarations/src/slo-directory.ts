import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  parseOpenSlo,
  type SloDefinition,
  SloInvalidError,
  SloLoadError,
  type SloProblem,
} from '@palisade/slo'

/**
 * Read every `*.yaml` / `*.yml` file of a folder (not its subfolders), in name order, as OpenSLO
 * SLOs. Fails fast with one `SloInvalidError` listing every problem of every file, SLO names used
 * twice across files included; `SloLoadError` when the folder or a file cannot be read.
 */
export async function loadSloDirectory(dir: string): Promise<SloDefinition[]> {
  let files: string[]
  try {
    files = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
      .map((entry) => entry.name)
      .sort()
  } catch (error) {
    throw new SloLoadError(dir, error)
  }
  const slos: SloDefinition[] = []
  const problems: SloProblem[] = []
  const defined = new Map<string, SloDefinition>()
  for (const file of files) {
    const source = join(dir, file)
    let text: string
    try {
      text = await readFile(source, 'utf8')
    } catch (error) {
      throw new SloLoadError(source, error)
    }
    try {
      for (const slo of parseOpenSlo(text, { source })) {
        const first = defined.get(slo.name)
        if (first) {
          problems.push({
            source,
            document: slo.origin.document,
            path: 'metadata.name',
            message: `SLO "${slo.name}" is already defined in ${first.origin.source} (document ${first.origin.document})`,
          })
          continue
        }
        defined.set(slo.name, slo)
        slos.push(slo)
      }
    } catch (error) {
      // Keep reading: the user should see the problems of every file at once.
      if (error instanceof SloInvalidError) problems.push(...error.problems)
      else throw error
    }
  }
  if (problems.length > 0) throw new SloInvalidError(problems)
  return slos
}
