// Envoy's listener TLS statistics (envoy/source/common/tls/stats.h, `ALL_SSL_STATS`), one counter
// a line, in any of the three ways Envoy gives them out:
//
//   admin     = [ prefix "." ] "listener." listener ".ssl." stat ": " integer        ; GET /stats
//   statsd    = [ prefix "." ] "listener." listener ".ssl." stat ":" integer "|c" [ "|@" rate ] [ "|#" tags ]
//   prometheus = "envoy_listener_ssl_" stat "{" ... 'envoy_listener_address="' listener '"' ... "}" value [ ts ]
//   listener  = address "_" port (`0.0.0.0_15006`, `[__]_443`: Envoy writes ":" as "_") / stat_prefix
//   stat      = "handshake" / "no_certificate" / "connection_error"
//             / "fail_verify_no_cert" / "fail_verify_error" / "fail_verify_san" / "fail_verify_cert_hash"
//
// Other lines of those syntaxes (other stats, cluster-side `cluster.<name>.ssl.*`, ciphers,
// versions) are skipped; a line in none of them is rejected. Cluster (client-side) TLS stats are
// left out on purpose: between two Envoys each handshake is counted by the client's cluster and the
// server's listener, and the listener is the side that enforces mTLS.
//
// What the counters mean (Envoy's ssl_socket / ssl_handshaker): `handshake` counts successful
// handshakes, of which `no_certificate` were without a client certificate; a failed handshake
// increments exactly one of `fail_verify_no_cert`, `fail_verify_error` (chain verification),
// `fail_verify_san`, `fail_verify_cert_hash`, or else `connection_error` (Envoy counts
// `connection_error` only when no verification counter was). So per listener and interval:
//   success, mode mutual  = handshake - no_certificate
//   success, mode tls     = no_certificate (the listener did not get a client certificate)
//   failure, reason <stat> = each failure counter, reason in Envoy's words; mode mutual, since
//     verification failures only happen where client certificates are checked (connection_error
//     too, unless the interval's successes were all without a client certificate: then tls).
//
// Cumulative counters, as in istio-metrics.ts: admin and Prometheus values are totals since the
// proxy started, so counts are the increases between successive dumps of one listener in the same
// input (the first dump is the baseline; a drop is a restart), unless options.temporality=delta.
// Statsd counters are increases by the protocol and are counted as they are. A dump is told from
// the next by time when every line has one (Prometheus samples), else by a stat repeating for the
// same listener. Times: the sample's own, else options.ts (the time of the dump); none is rejected.

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseOptions, ParseResult } from '../format-parser.ts'
import {
  type CounterOptions,
  counterIncrease,
  counterOptionNames,
  isCount,
  readCounterOptions,
  type Temporality,
} from './counter-options.ts'
import { parsePrometheusLine } from './prometheus-text.ts'

const formatName = 'envoy-tls-stats'
const stats = [
  'handshake',
  'no_certificate',
  'connection_error',
  'fail_verify_no_cert',
  'fail_verify_error',
  'fail_verify_san',
  'fail_verify_cert_hash',
] as const
type Stat = (typeof stats)[number]
const failureStats = stats.slice(2) as readonly Stat[]
const statPattern = stats.join('|')
// The admin value is read only for our counters: histograms print `name: P0(nan,2) P25(...)`.
const adminLine = /^(\S+): (.*)$/
const statsdLine = /^([^\s:|]+):([^\s|]+)\|([a-z]+)((?:\|[^|]*)*)$/
const statName = new RegExp(`^(?:\\S*?\\.)?listener\\.(\\S+)\\.ssl\\.(${statPattern})$`)
const prometheusName = new RegExp(`^envoy_listener_ssl_(${statPattern})$`)
const listenerPort = /^(?:[0-9.]+|\[[0-9A-Fa-f_]*\])_(\d{1,5})$/

/** One counter value read from the input. */
interface Reading {
  line: number
  raw: string
  listener: string
  stat: Stat
  value: number
  /** The line's own time, if it has one. */
  ownTs?: number
  ts: number
  temporality: Temporality
}

type Snapshot = Partial<Record<Stat, Reading>>

/** What an admin `/stats` line holds: a count, a histogram's quantiles, or a histogram with none. */
const adminValue = /^(?:\d+|P0\(.*|No recorded values)$/

/**
 * A line as a reading, `'other'` when it is another statistic (a dump holds thousands: counted,
 * not events), undefined when blank or a comment, or the reason it cannot be read.
 */
function readLine(
  raw: string,
  line: number,
  counter: CounterOptions,
): Reading | 'other' | undefined | string {
  const text = raw.trim()
  if (text === '' || text.startsWith('#')) return undefined
  let listener: string
  let stat: Stat
  let value: number
  let ownTs: number | undefined
  let temporality: Temporality = counter.temporality
  const statsd = statsdLine.exec(text)
  const admin = statsd === null ? adminLine.exec(text) : null
  if (statsd !== null) {
    const name = statName.exec(statsd[1]!)
    if (name === null || statsd[3] !== 'c') return 'other'
    listener = name[1]!
    stat = name[2] as Stat
    // A sampled counter (`|@0.5`) stands for value / rate events; Envoy does not sample, others may.
    const rate = /\|@([0-9.]+)/.exec(statsd[4] ?? '')?.[1]
    const sampling = rate === undefined ? 1 : Number(rate)
    if (!(sampling > 0 && sampling <= 1)) return `${statsd[1]}: sample rate "${rate}" is not in (0, 1]`
    value = Math.round(Number(statsd[2]) / sampling)
    temporality = 'delta'
  } else if (admin !== null) {
    const name = statName.exec(admin[1]!)
    if (name === null) {
      // `name: value` alone is too loose ("a": 1 of a JSON line matches): the value must be one.
      if (!adminValue.test(admin[2]!.trim()) || /^["{[]/.test(admin[1]!)) {
        return 'not an Envoy stats line (admin, statsd or Prometheus)'
      }
      return 'other'
    }
    listener = name[1]!
    stat = name[2] as Stat
    value = /^\d+$/.test(admin[2]!.trim()) ? Number(admin[2]) : Number.NaN
  } else {
    const sample = parsePrometheusLine(text)
    if (sample === undefined) return undefined
    if (typeof sample === 'string') return `not an Envoy stats line (admin, statsd or Prometheus): ${sample}`
    const name = prometheusName.exec(sample.name)
    if (name === null) return 'other'
    const address = sample.labels.envoy_listener_address
    if (address === undefined || address === '') return `${sample.name}: no envoy_listener_address label`
    listener = address
    stat = name[1] as Stat
    value = sample.value
    ownTs = sample.ts
  }
  if (!isCount(value)) return `listener ${listener} ${stat}: value is not a count`
  const ts = ownTs ?? counter.ts
  if (ts === undefined) {
    return 'line has no timestamp: pass options.ts (the time of the dump)'
  }
  return { line, raw, listener, stat, value, ...(ownTs !== undefined ? { ownTs } : {}), ts, temporality }
}

/** A listener's readings grouped into dumps, oldest first. */
function snapshots(readings: Reading[]): Snapshot[] {
  if (readings.every((reading) => reading.ownTs !== undefined)) {
    const byTime = new Map<number, Snapshot>()
    for (const reading of [...readings].sort((a, b) => a.ts - b.ts)) {
      const snapshot = byTime.get(reading.ts) ?? {}
      snapshot[reading.stat] = reading
      byTime.set(reading.ts, snapshot)
    }
    return [...byTime.values()]
  }
  const result: Snapshot[] = [{}]
  for (const reading of readings) {
    let current = result.at(-1)!
    if (current[reading.stat] !== undefined) {
      current = {}
      result.push(current)
    }
    current[reading.stat] = reading
  }
  return result
}

/** What one stat grew by in a dump, with the readings it was computed from. */
interface Increase {
  count: number
  readings: Reading[]
}

function increaseOf(stat: Stat, current: Snapshot, previous: Snapshot | undefined): Increase | undefined {
  const reading = current[stat]
  if (reading === undefined) return undefined
  if (reading.temporality === 'delta') return { count: reading.value, readings: [reading] }
  const before = previous?.[stat]
  if (before === undefined || before.temporality !== 'cumulative') return undefined
  return { count: counterIncrease(before.value, reading.value), readings: [before, reading] }
}

function parse(input: string, options?: ParseOptions): ParseResult {
  const result: ParseResult = { records: [], rejected: [] }
  const counter = readCounterOptions(options)
  const byListener = new Map<string, Reading[]>()
  const lines = input.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!.replace(/\r$/, '')
    // With a bad option, lines are still read, so that only the lines that would count are refused.
    const read = readLine(
      raw,
      index + 1,
      'problem' in counter ? { temporality: 'cumulative', ts: 0 } : counter,
    )
    if (read === undefined) continue
    if (read === 'other') result.ignored = (result.ignored ?? 0) + 1
    else if (typeof read === 'string') result.rejected.push({ line: index + 1, raw, reason: read })
    else if ('problem' in counter) result.rejected.push({ line: index + 1, raw, reason: counter.problem })
    else {
      const readings = byListener.get(read.listener)
      if (readings === undefined) byListener.set(read.listener, [read])
      else readings.push(read)
    }
  }
  const service = options?.service
  for (const [listener, readings] of byListener) {
    const port = listenerPort.exec(listener)?.[1]
    const dstPort = port !== undefined && Number(port) <= 65535 ? Number(port) : undefined
    const dumps = snapshots(readings)
    for (let index = 0; index < dumps.length; index++) {
      const current = dumps[index]!
      const previous = dumps[index - 1]
      const emit = (
        result_: string,
        count: number,
        fields: Record<string, unknown>,
        used: Reading[],
      ): void => {
        if (count <= 0) return
        const last = used.reduce((a, b) => (b.line > a.line ? b : a))
        const ts = Math.max(...used.map((reading) => reading.ts))
        const source = {
          listener,
          result: result_,
          readings: used.map((reading) => ({ stat: reading.stat, value: reading.value, ts: reading.ts })),
        }
        result.records.push({
          line: last.line,
          raw: [...used]
            .sort((a, b) => a.line - b.line)
            .map((reading) => reading.raw)
            .join('\n'),
          kind: 'mtls',
          event: {
            event_id: deriveEventId(`${formatName}/mtls`, source),
            ts,
            source: 'envoy',
            ...(service !== undefined && service !== '' ? { service } : {}),
            ...(dstPort !== undefined ? { dst_port: dstPort } : {}),
            ...fields,
            count,
          },
        })
      }
      const handshakes = increaseOf('handshake', current, previous)
      const withoutCertificate = increaseOf('no_certificate', current, previous)
      let tlsOnly = false
      if (handshakes !== undefined) {
        const tls = Math.min(withoutCertificate?.count ?? 0, handshakes.count)
        const used = [...handshakes.readings, ...(withoutCertificate?.readings ?? [])]
        emit('mutual', handshakes.count - tls, { mode: 'mutual', outcome: 'success' }, used)
        emit('tls', tls, { mode: 'tls', outcome: 'success' }, used)
        tlsOnly = handshakes.count > 0 && tls === handshakes.count
      }
      for (const stat of failureStats) {
        const failures = increaseOf(stat, current, previous)
        if (failures === undefined) continue
        const mode = stat === 'connection_error' && tlsOnly ? 'tls' : 'mutual'
        emit(stat, failures.count, { mode, outcome: 'failure', reason: stat }, failures.readings)
      }
    }
  }
  result.records.sort((a, b) => a.line - b.line)
  return result
}

/** Envoy listener TLS stats (admin `/stats`, statsd, or Prometheus) → mTLS handshake events with counts. */
export const envoyTlsStatsParser: FormatParser = {
  name: formatName,
  description:
    'Envoy listener ssl stats (admin /stats, statsd or Prometheus): handshakes and failures by reason; cumulative: the increase between dumps in one input',
  kinds: ['mtls'],
  cumulativeCounters: true,
  options: [...counterOptionNames, 'service'],
  parse,
}
