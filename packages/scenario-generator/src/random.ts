/** A seeded pseudo-random source (mulberry32): the same seed gives the same telemetry. */
export function createRandom(seed: number) {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    /** Integer in [min, max]. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
    /** Standard normal (Box-Muller). */
    normal(): number {
      const u = Math.max(next(), 1e-12)
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
    },
    /** Log-normal around `median` with spread `sigma`. */
    logNormal(median: number, sigma: number): number {
      return median * Math.exp(sigma * this.normal())
    },
    /** Poisson-distributed count with mean `lambda` (normal approximation above 50). */
    poisson(lambda: number): number {
      if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()))
      const limit = Math.exp(-lambda)
      let k = 0
      let p = 1
      do {
        k++
        p *= next()
      } while (p > limit)
      return k - 1
    },
  }
}

export type Random = ReturnType<typeof createRandom>
