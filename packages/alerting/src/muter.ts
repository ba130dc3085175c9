/**
 * One stage that may keep an alert from being notified, Alertmanager's `Muter`: the inhibitor, the
 * silencer and a route's time mute all answer the same question, so the planner runs them as a list.
 */
export interface Muter {
  /** Whether the alert with these labels (its labels plus `tenant`) is muted at `now` (epoch ms). */
  mutes(labels: Readonly<Record<string, string>>, now: number): boolean
}
