import { type DashboardQuery, dashboardQueries } from './dashboard-queries.ts'
import { debugPanelQueries } from './debug-queries.ts'
import { executivePanelQueries } from './executive-queries.ts'

/**
 * Every named query a dashboard may declare: the core panels, the debug dashboard's and the
 * executive dashboard's. Each module stays the one place its SQL lives; this only joins the names.
 */
export const panelQueries = {
  ...dashboardQueries,
  ...debugPanelQueries,
  ...executivePanelQueries,
} satisfies Record<string, DashboardQuery>

/** A name of {@link panelQueries}. */
export type PanelQueryName = keyof typeof panelQueries

/** Whether `name` names a registered panel query (own keys only: `toString` is not a query). */
export function isPanelQueryName(name: string): name is PanelQueryName {
  return Object.hasOwn(panelQueries, name)
}
