import { formatParsers } from '@palisade/formats'
import type { Scenario, ScenarioStream } from '@palisade/scenario-generator'
import { defaultRetentionDays, eventKinds } from '@palisade/schema'
import { type CollectorTarget, postFormatText } from '../collector-client.ts'

/**
 * `PALISADE_RETENTION_DAYS_<KIND>` for a `palisade start` that is to keep a scenario of the past
 * (generated scenarios start on a fixed day): each kind kept from the scenario's first day on, as
 * an investigation loading an old capture would set it.
 */
export function retentionCoveringScenario(
  scenario: Pick<Scenario, 'start'>,
  now = Date.now(),
): Record<string, string> {
  const days = Math.ceil((now - scenario.start) / 86_400_000) + 1
  return Object.fromEntries(
    eventKinds.map((kind) => [
      `PALISADE_RETENTION_DAYS_${kind.toUpperCase()}`,
      String(Math.max(defaultRetentionDays[kind], days)),
    ]),
  )
}

/** Where a scenario replay stands. */
export interface ScenarioReplayProgress {
  /** Event time replayed up to, epoch ms. */
  upTo: number
  accepted: number
  rejected: number
  requests: number
}

/** Formats whose requests repeat each series' previous reading (see `FormatParser.cumulativeCounters`). */
const cumulative = (format: string) => formatParsers.get(format)?.cumulativeCounters === true

/** Records in time order cut into runs of at most `maxBytes` of text (one record is never cut). */
function chunksOf(items: { text: string }[], maxBytes: number): { text: string }[][] {
  const chunks: { text: string }[][] = []
  let chunk: { text: string }[] = []
  let bytes = 0
  for (const item of items) {
    if (chunk.length > 0 && bytes + item.text.length > maxBytes) {
      chunks.push(chunk)
      chunk = []
      bytes = 0
    }
    chunk.push(item)
    bytes += item.text.length + 1
  }
  if (chunk.length > 0) chunks.push(chunk)
  return chunks
}

function bodyOf(stream: ScenarioStream, texts: string[]): string {
  return stream.join === 'json-array' ? `[${texts.join(',')}]` : `${texts.join('\n')}\n`
}

/**
 * Replay a scenario through the collector in event time, as a log shipper would forward it: slice
 * by slice of event time (default 5 min), the records of every stream of one format and options
 * (one file per node or per enforcement point) merged in time order into one gzip request to
 * `/v1/ingest/<format>`, the formats of a slice side by side, a slice only after the previous.
 * Counter formats repeat each series' previous scrape (see `cumulative`). A slice larger than
 * `maxBodyBytes` of text (default 8 MiB) goes out as several requests in order, as a shipper chunks
 * its buffer, so long slices stay under the collector's body limit.
 */
export async function replayScenario(
  // Any scenario of streams in wire formats (the generator's, or the independently written one).
  scenario: Pick<Scenario, 'start' | 'streams'>,
  target: CollectorTarget,
  options: {
    sliceMs?: number
    maxBodyBytes?: number
    onProgress?: (progress: ScenarioReplayProgress) => void
  } = {},
): Promise<ScenarioReplayProgress & { rejectedByReason: Record<string, number> }> {
  const sliceMs = options.sliceMs ?? 5 * 60_000
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024
  const cursor = scenario.streams.map(() => 0)
  const progress = { upTo: scenario.start, accepted: 0, rejected: 0, requests: 0 }
  const rejectedByReason: Record<string, number> = {}
  // Streams that can share a request: same format, same options, and not counters (a scrape is
  // one series' reading: merging files would interleave their series).
  const groups = new Map<string, number[]>()
  scenario.streams.forEach((stream, index) => {
    const key = cumulative(stream.format)
      ? `#${index}`
      : `${stream.format}?${new URLSearchParams(stream.options ?? {}).toString()}|${stream.join}`
    groups.set(key, [...(groups.get(key) ?? []), index])
  })
  for (let sliceEnd = scenario.start + sliceMs; ; sliceEnd += sliceMs) {
    const send = [...groups.values()].map((members) => async () => {
      const stream = scenario.streams[members[0]!]!
      const items: { ts: number; text: string }[] = []
      for (const index of members) {
        const own = scenario.streams[index]!.items
        let at = cursor[index]!
        if (cumulative(stream.format) && at > 0 && own[at] !== undefined && own[at]!.ts < sliceEnd) {
          // The previous scrape: every sample of the last scrape time before this slice.
          let back = at - 1
          while (back > 0 && own[back - 1]!.ts === own[at - 1]!.ts) back--
          items.push(...own.slice(back, at))
        }
        while (at < own.length && own[at]!.ts < sliceEnd) items.push(own[at++]!)
        cursor[index] = at
      }
      if (items.length === 0) return
      items.sort((a, b) => a.ts - b.ts)
      // A scrape stays whole in one request (its increases are read against the previous one).
      const chunks = cumulative(stream.format) ? [items] : chunksOf(items, maxBodyBytes)
      for (const chunk of chunks) {
        const body = bodyOf(
          stream,
          chunk.map((item) => item.text),
        )
        const answer = await postFormatText(target, stream.format, stream.options ?? {}, body)
        progress.accepted += answer.accepted
        progress.rejected += answer.rejected
        progress.requests++
        for (const [reason, count] of Object.entries(answer.rejected_by_reason ?? {}))
          rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + count
      }
    })
    // A few requests at a time: more would only meet the collector's concurrency limit (429).
    let next = 0
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < send.length) await send[next++]!()
      }),
    )
    progress.upTo = sliceEnd
    options.onProgress?.({ ...progress })
    if (scenario.streams.every((stream, index) => cursor[index]! >= stream.items.length)) break
  }
  return { ...progress, rejectedByReason }
}
