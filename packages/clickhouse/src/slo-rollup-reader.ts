import type { ClickHouseClient } from '@clickhouse/client'
import type { SloIndicator, SloRollupReader } from '@palisade/slo'
import { queryBurnRateSeries, querySloWindows, type SloRatioSelector } from './slo-window-query.ts'

function ratioOf(indicator: SloIndicator): SloRatioSelector {
  const { rollup, service, bad, total } = indicator
  return { rollup, ...(service === undefined ? {} : { service }), bad, total }
}

/** The SLO side's reader over the 1-minute rollups: the two SLO queries, fed an indicator. */
export function createSloRollupReader(client: ClickHouseClient): SloRollupReader {
  return {
    windowSums: (indicator, query) => querySloWindows(client, { ...ratioOf(indicator), ...query }),
    burnRateCounts: (indicator, query) => queryBurnRateSeries(client, { ...ratioOf(indicator), ...query }),
  }
}
