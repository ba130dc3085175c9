export const RANGES = [
  ['15m', 15 * 60e3],
  ['1h', 3600e3],
  ['6h', 6 * 3600e3],
  ['24h', 24 * 3600e3],
  ['7d', 7 * 24 * 3600e3],
]

export const state = {
  dashboards: [],
  /** What the signed-in role may do (`GET /api/v1/session`'s `may`): views it may not use are not offered. */
  may: new Set(),
  dashboard: undefined,
  range: undefined,
  timer: undefined,
  /** panel id → { panel, body, data } so a resize redraws without refetching. */
  panels: new Map(),
  lastRange: undefined,
  /** Counts refreshes, so that only the newest one draws. */
  generation: 0,
  /** The hash route drawn last, to tell a new view from a redraw of the same one. */
  lastPath: undefined,
  /** Draws the current view again (a range or filter changed); set by main.js's router. */
  rerender: () => {},
}
