import { Gauge, type Registry } from 'prom-client'

/**
 * `palisade_detector_checkpoint_age_seconds`: time since every detector and risk state was last
 * saved (counted from start until the first save). A growing age means a restart would replay and
 * relearn that much. `now` is epoch ms (default `Date.now`).
 */
export function reportCheckpointAge(registry: Registry, now: () => number = Date.now) {
  let savedAt = now()
  new Gauge({
    name: 'palisade_detector_checkpoint_age_seconds',
    help: 'Seconds since detector and risk state were last checkpointed (since start before the first)',
    registers: [registry],
    collect() {
      this.set((now() - savedAt) / 1000)
    },
  })
  return {
    /** Every state was saved just now. */
    saved: (): void => {
      savedAt = now()
    },
  }
}
