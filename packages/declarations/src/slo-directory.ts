import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type OpenSloFile, parseOpenSloFiles, type SloDefinition, SloLoadError } from '@palisade/slo'

/**
 * Read every `*.yaml` / `*.yml` file of a folder (not its subfolders), in name order, as OpenSLO v1
 * documents (SLOs and the SLIs, Services and alert policies they reference, across files). Fails
 * fast with one `SloInvalidError` listing every problem of every file, names used twice across
 * files included; `SloLoadError` when the folder or a file cannot be read.
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
  const sources: OpenSloFile[] = []
  for (const file of files) {
    const source = join(dir, file)
    try {
      sources.push({ source, text: await readFile(source, 'utf8') })
    } catch (error) {
      throw new SloLoadError(source, error)
    }
  }
  // All files at once: an SLO may reference an SLI, a policy or a condition declared in another.
  return parseOpenSloFiles(sources)
}
