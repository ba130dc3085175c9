import type { SloStatus } from './slo-status.ts'

/** Rollouts freeze while an SLO burns its error budget above this rate... */
export const FREEZE_ABOVE = 2
/** ...over this long window (the guides: "above 2× for an hour")... */
export const FREEZE_WINDOW = '1h'
/** ...and still over this short one, so that the freeze lifts once the burn has stopped, not an hour later. */
export const FREEZE_RECOVERY_WINDOW = '5m'

/** Why a service's rollouts are frozen: one SLO burning. */
export interface GateReason {
  slo: string
  displayName: string
  /** Burn rate over {@link FREEZE_WINDOW} and {@link FREEZE_RECOVERY_WINDOW}. */
  burnRate1h: number
  burnRate5m: number
  message: string
}

/** The rollout gate of one service: what Argo Rollouts and Flagger ask before advancing a rollout. */
export interface RolloutGate {
  service: string
  /** `open` lets rollouts go on; `frozen` holds them until the budget stops burning. */
  state: 'open' | 'frozen'
  /** `state === 'open'`, for a web metric's `successCondition: result == true`. */
  open: boolean
  frozen: boolean
  /** Empty when open. */
  reasons: GateReason[]
  /** One line for people: the reasons joined, or that nothing burns. */
  message: string
  /** SLOs of the service the gate looked at. */
  slos: string[]
  /** Epoch ms of the newest evaluation it read. */
  evaluatedAt: number
}

function burnOver(status: SloStatus, window: string): number {
  return status.burnRates.find((burn) => burn.window === window)?.burnRate ?? 0
}

function times(value: number): string {
  return `${Number(value >= 10 ? value.toFixed(0) : value.toFixed(1))}×`
}

/**
 * The rollout gate of `service` from its SLOs' statuses: frozen while any of them burns its error
 * budget above 2× over the last hour and still over the last 5 minutes, with each such SLO as a
 * reason; open otherwise (a service without SLOs is open: nothing says it is burning).
 */
export function rolloutGate(statuses: readonly SloStatus[], service: string): RolloutGate {
  const mine = statuses.filter((status) => status.service === service)
  const reasons: GateReason[] = []
  for (const status of mine) {
    const burnRate1h = burnOver(status, FREEZE_WINDOW)
    const burnRate5m = burnOver(status, FREEZE_RECOVERY_WINDOW)
    if (burnRate1h > FREEZE_ABOVE && burnRate5m > FREEZE_ABOVE) {
      const name = status.displayName || status.name
      reasons.push({
        slo: status.name,
        displayName: name,
        burnRate1h,
        burnRate5m,
        message: `${name} burning ${times(burnRate1h)} its budget over the last hour (${times(burnRate5m)} over 5m), above the ${FREEZE_ABOVE}× freeze threshold`,
      })
    }
  }
  const frozen = reasons.length > 0
  return {
    service,
    state: frozen ? 'frozen' : 'open',
    open: !frozen,
    frozen,
    reasons,
    message: frozen
      ? `rollouts of ${service} are frozen: ${reasons.map((reason) => reason.message).join('; ')}`
      : `rollouts of ${service} may proceed: no SLO burns above ${FREEZE_ABOVE}× over the last hour`,
    slos: mine.map((status) => status.name),
    evaluatedAt: Math.max(0, ...mine.map((status) => status.evaluatedAt)),
  }
}
