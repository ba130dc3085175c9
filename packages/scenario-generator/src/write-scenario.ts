import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Scenario, ScenarioStream } from './scenario.ts'

/** A stream's file content: one record per line, or one JSON array. */
export function streamText(stream: ScenarioStream): string {
  const records = stream.items.map((item) => item.text)
  return stream.join === 'json-array' ? `[\n${records.join(',\n')}\n]\n` : `${records.join('\n')}\n`
}

/**
 * Write a scenario under `dir`: each stream to its path, `labels.json`, the intent documents, and
 * `streams.json` (what to replay: format, path and options of each file).
 */
export async function writeScenario(dir: string, scenario: Scenario): Promise<void> {
  const files: { path: string; text: string }[] = [
    ...scenario.streams.map((stream) => ({ path: stream.path, text: streamText(stream) })),
    ...scenario.intent,
    { path: 'labels.json', text: `${JSON.stringify(scenario.labels, null, 2)}\n` },
    {
      path: 'streams.json',
      text: `${JSON.stringify(
        {
          tenant: scenario.tenant,
          start: new Date(scenario.start).toISOString(),
          end: new Date(scenario.end).toISOString(),
          streams: scenario.streams.map(({ format, path, join, options, items }) => ({
            format,
            path,
            join,
            ...(options ? { options } : {}),
            records: items.length,
          })),
        },
        null,
        2,
      )}\n`,
    },
  ]
  for (const file of files) {
    const path = join(dir, file.path)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, file.text)
  }
}
