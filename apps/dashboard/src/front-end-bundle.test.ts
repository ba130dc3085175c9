import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FrontEndBuildError } from './errors.ts'
import { bundleFrontEnd } from './front-end-bundle.ts'

describe('bundleFrontEnd', () => {
  it('bundles the web/ modules into one script with no imports left for the browser to fetch', async () => {
    const script = await bundleFrontEnd()
    expect(script).not.toMatch(/^\s*import\s/m)
    // Pieces of several modules made it in: the router, a view and a panel drawer.
    expect(script).toContain('function parseHash')
    expect(script).toContain('async function showEntity')
    expect(script).toContain('function drawServiceGraph')
  })

  it('fails with a FrontEndBuildError that names the folder when a module is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-web-'))
    try {
      writeFileSync(join(dir, 'main.js'), "import { nothing } from './missing.js'\nnothing()\n")
      const failure = bundleFrontEnd(dir)
      await expect(failure).rejects.toBeInstanceOf(FrontEndBuildError)
      await expect(failure).rejects.toThrow(dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
