import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import type { FormatParser } from '@palisade/formats'
import { postFormatText } from './collector-client.ts'

/** Options of {@link replayFiles}. */
export interface ReplayOptions {
  collectorUrl: string
  token: string
  parser: FormatParser
  files: string[]
  /** The format's options (e.g. `fields` for header-less AWS custom formats). */
  formatOptions: Record<string, string>
  /** Largest request body before compression, characters (default 32 MiB, under the collector's 64 MiB). */
  maxRequestChars?: number
  /** Called with progress after every request. */
  onProgress?: (progress: ReplayProgress) => void
  /** Wall clock, ms. */
  now?: () => number
}

/** Where a replay stands. */
export interface ReplayProgress {
  file: string
  bytesDone: number
  bytesTotal: number
  accepted: number
  rejected: number
}

/** What a replay did. */
export interface ReplaySummary {
  files: number
  accepted: number
  rejected: number
  rejectedByReason: Record<string, number>
  seconds: number
  eventsPerSecond: number
}

/**
 * Load files (plain or gzip) of one format through the collector's API, as any source would, in
 * requests small enough for its limits, and add up what it accepted and rejected.
 */
export async function replayFiles(options: ReplayOptions): Promise<ReplaySummary> {
  const now = options.now ?? Date.now
  const started = now()
  const maxChars = options.maxRequestChars ?? 32 * 1024 * 1024
  const summary: ReplaySummary = {
    files: 0,
    accepted: 0,
    rejected: 0,
    rejectedByReason: {},
    seconds: 0,
    eventsPerSecond: 0,
  }
  for (const file of options.files) {
    const raw = await readFile(file)
    const isGzip = raw[0] === 0x1f && raw[1] === 0x8b
    const text = (isGzip ? gunzipSync(raw) : raw).toString('utf8')
    const parts =
      text.length <= maxChars
        ? [{ text, firstLine: 1 }]
        : (options.parser.splitInput?.(text, maxChars) ?? null)
    if (!parts) {
      throw new Error(
        `${file} is ${text.length} characters, over one request's ${maxChars}, and ${options.parser.name} cannot be split; split the file`,
      )
    }
    let done = 0
    for (const part of parts) {
      const answer = await postFormatText(options, options.parser.name, options.formatOptions, part.text)
      summary.accepted += answer.accepted
      summary.rejected += answer.rejected
      for (const [reason, count] of Object.entries(answer.rejected_by_reason ?? {})) {
        summary.rejectedByReason[reason] = (summary.rejectedByReason[reason] ?? 0) + count
      }
      done += part.text.length
      options.onProgress?.({
        file,
        bytesDone: done,
        bytesTotal: text.length,
        accepted: summary.accepted,
        rejected: summary.rejected,
      })
    }
    summary.files++
  }
  summary.seconds = (now() - started) / 1000
  summary.eventsPerSecond = summary.seconds > 0 ? summary.accepted / summary.seconds : summary.accepted
  return summary
}

/** A one-line progress bar for a terminal: `file [#####.....] 52% 12,000 accepted 3 rejected`. */
export function progressLine(progress: ReplayProgress, width = 30): string {
  const fraction = progress.bytesTotal === 0 ? 1 : progress.bytesDone / progress.bytesTotal
  const filled = Math.round(fraction * width)
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`
  return `${progress.file} [${bar}] ${Math.round(fraction * 100)}% ${progress.accepted.toLocaleString('en')} accepted ${progress.rejected.toLocaleString('en')} rejected`
}

/** The closing summary, for people. */
export function summaryText(summary: ReplaySummary): string {
  const lines = [
    `files      ${summary.files}`,
    `accepted   ${summary.accepted.toLocaleString('en')}`,
    `rejected   ${summary.rejected.toLocaleString('en')}`,
  ]
  for (const [reason, count] of Object.entries(summary.rejectedByReason).sort((a, b) => b[1] - a[1])) {
    lines.push(`  ${String(count).padStart(8)}  ${reason}`)
  }
  lines.push(
    `rate       ${Math.round(summary.eventsPerSecond).toLocaleString('en')} events/s (${summary.seconds.toFixed(1)} s)`,
  )
  return lines.join('\n')
}
