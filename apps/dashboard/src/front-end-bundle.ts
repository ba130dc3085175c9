import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { FrontEndBuildError } from './errors.ts'

/** The front end's ES modules (one per view or panel kind); `main.js` is the entry. */
export const defaultWebDir = fileURLToPath(new URL('../web', import.meta.url))

/**
 * Bundle the front end's modules into one ES module, in memory. The app does this when it starts,
 * so a fresh clone needs no build step and the served script always matches the sources.
 */
export async function bundleFrontEnd(webDir: string = defaultWebDir): Promise<string> {
  try {
    const result = await build({
      entryPoints: [join(webDir, 'main.js')],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      // Names stay readable in a browser's stack traces; the bundle is small and served compressed-free.
      minify: false,
    })
    const [output] = result.outputFiles
    if (!output) throw new Error('esbuild wrote no output')
    return output.text
  } catch (error) {
    throw new FrontEndBuildError(`the front end in ${webDir} did not bundle`, error)
  }
}
