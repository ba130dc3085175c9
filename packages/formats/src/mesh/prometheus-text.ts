// One sample line of the Prometheus text exposition format (version 0.0.4, what Envoy's
// `/stats/prometheus` and Istio's merged `:15020/stats/prometheus` serve), with the two variants
// users also hold: OpenMetrics 1.0 (timestamps in seconds, exemplars after " # ") and
// `promtool tsdb dump` (the name as a `__name__` label, ", " between labels).
//
//   line      = name [ labels ] SP value [ SP timestamp ] [ " # " exemplar ]
//             / labels SP value [ SP timestamp ]               ; name in `__name__`
//             / "#" comment / ""                             ; HELP, TYPE, EOF, blank: not samples
//   labels    = "{" [ label *( "," [ SP ] label ) [ "," ] ] "}"
//   label     = label-name "=" DQUOTE *( char / "\\" / "\"" / "\n" ) DQUOTE
//   value     = float / "NaN" / "+Inf" / "-Inf"
//   timestamp = integer ms (Prometheus) / float seconds (OpenMetrics)
//
// A timestamp below 1e11 is read as seconds: as milliseconds it would be 1973, as seconds it is
// any date before the year 5138, and no exporter writes 1973 in milliseconds.

/** One sample: metric name, labels, value and (when the line has one) its time in epoch ms. */
export interface PrometheusSample {
  name: string
  labels: Record<string, string>
  value: number
  ts?: number
}

const namePattern = /^[A-Za-z_:][A-Za-z0-9_:.]*/
const labelNamePattern = /^[A-Za-z_][A-Za-z0-9_.]*/
const secondsBelow = 1e11

function readNumber(token: string): number | undefined {
  if (token === 'NaN') return Number.NaN
  if (token === '+Inf' || token === 'Inf') return Number.POSITIVE_INFINITY
  if (token === '-Inf') return Number.NEGATIVE_INFINITY
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(token)) return undefined
  return Number(token)
}

/** The labels at the start of `text` (which begins with "{"), and what follows them. */
function readLabels(text: string): { labels: Record<string, string>; rest: string } | string {
  const labels: Record<string, string> = {}
  let at = 1
  for (;;) {
    while (text[at] === ' ' || text[at] === '\t') at++
    if (text[at] === '}') return { labels, rest: text.slice(at + 1) }
    const name = labelNamePattern.exec(text.slice(at))?.[0]
    if (name === undefined) return `expected a label name at column ${at + 1}`
    at += name.length
    if (text[at] !== '=' || text[at + 1] !== '"') return `expected ="..." after label ${name}`
    at += 2
    let value = ''
    for (;;) {
      const char = text[at]
      if (char === undefined) return `label ${name}: value not closed`
      if (char === '"') break
      if (char === '\\') {
        const next = text[at + 1]
        value += next === 'n' ? '\n' : (next ?? '')
        at += 2
      } else {
        value += char
        at++
      }
    }
    at++
    if (Object.hasOwn(labels, name)) return `label ${name} appears twice`
    labels[name] = value
    while (text[at] === ' ' || text[at] === '\t') at++
    if (text[at] === ',') at++
    else if (text[at] !== '}') return `expected "," or "}" after label ${name}`
  }
}

/**
 * Read one line: the sample, undefined for a comment or blank line, or the reason the line is not
 * a sample.
 */
export function parsePrometheusLine(line: string): PrometheusSample | undefined | string {
  const text = line.trim()
  if (text === '' || text.startsWith('#')) return undefined
  let name = namePattern.exec(text)?.[0] ?? ''
  let rest = text.slice(name.length)
  let labels: Record<string, string> = {}
  if (rest.startsWith('{')) {
    const read = readLabels(rest)
    if (typeof read === 'string') return read
    labels = read.labels
    rest = read.rest
  }
  if (name === '') {
    name = labels.__name__ ?? ''
    if (name === '') return 'not a sample line: no metric name'
  }
  delete labels.__name__
  const exemplar = rest.indexOf(' # ')
  if (exemplar !== -1) rest = rest.slice(0, exemplar)
  const tokens = rest.trim().split(/[ \t]+/)
  if (tokens.length > 2 || tokens[0] === '')
    return `not a sample line: expected "<value> [timestamp]" after ${name}`
  const value = readNumber(tokens[0]!)
  if (value === undefined) return `${name}: value "${tokens[0]}" is not a number`
  if (tokens[1] === undefined) return { name, labels, value }
  const stamp = readNumber(tokens[1])
  if (stamp === undefined || !Number.isFinite(stamp) || stamp < 0) {
    return `${name}: timestamp "${tokens[1]}" is not a time`
  }
  return { name, labels, value, ts: Math.round(stamp < secondsBelow ? stamp * 1000 : stamp) }
}
