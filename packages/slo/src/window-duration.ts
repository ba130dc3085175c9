const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

/**
 * Parse a window such as `5m`, `1h`, `6h`, `3d`, `30d` or `4w` into milliseconds; `undefined` when
 * the text is not one. Only whole minutes and up: the rollups have 1-minute granularity.
 */
export function parseWindow(text: string): number | undefined {
  const match = /^([1-9][0-9]{0,5})([mhdw])$/.exec(text)
  if (!match) return undefined
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
}

/** Write a window in the largest unit that divides it: 3_600_000 → `1h`, 5_400_000 → `90m`. */
export function formatWindow(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  }
  return `${Math.round(ms / 60_000)}m`
}
