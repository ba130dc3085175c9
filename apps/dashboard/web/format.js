import { d3 } from './d3.js'

export const utcTime = d3.utcFormat('%H:%M')
export const utcDayTime = d3.utcFormat('%b %d %H:%M')
export const utcSeconds = d3.utcFormat('%H:%M:%S')
export const count = d3.format(',')

export function time(ms, range) {
  if (ms === null || ms === undefined) return '—'
  const long = range ? range.to - range.from > 24 * 3600e3 : Date.now() - ms > 20 * 3600e3
  return long ? utcDayTime(new Date(ms)) : utcTime(new Date(ms))
}

export function percent(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—'
  const p = value * 100
  // Near 100 % the interesting digits are the nines; near 0 % the first significant ones.
  const digits = p >= 99 && p < 100 ? 3 : Math.abs(p) < 1 && p !== 0 ? 2 : 1
  return `${p.toFixed(digits)}%`
}

export function formatValue(value, unit) {
  if (value === null || value === undefined || value === '') return '—'
  switch (unit) {
    case 'ms':
      return `${Number(value) < 10 ? Number(value).toFixed(1) : Math.round(Number(value))} ms`
    case 'ratio':
      return percent(Number(value))
    case 'count':
      return count(Number(value))
    case 'time':
      return time(Number(value))
    default:
      return String(value)
  }
}

export function burn(value) {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}×`
}

/** `spiffe://acme.io/ns/shop/sa/frontend` → `frontend`; `shop/frontend` → `frontend`; IPs stay. */
export function shortName(identity) {
  if (!identity) return '—'
  const trimmed = String(identity).replace(/\/+$/, '')
  if (/^[\d.:a-f]+$/i.test(trimmed)) return trimmed
  const last = trimmed.split('/').pop()
  return last || trimmed
}
