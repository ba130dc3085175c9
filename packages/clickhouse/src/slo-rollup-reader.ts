import type { ClickHouseClient } from '@clickhouse/client'
import type { SloIndicator, SloRollupReader } from '@palisade/slo'
import {
  queryBurnRateSeries,
  querySloWindows,
  querySloWindowsOfEach,
  type SloRatioSelector,
} from './slo-window-query.ts'

/** Settings of {@link createSloRollupReader}. */
export interface SloRollupReaderOptions {
  /**
   * The egress intent declares by address (`DeclaredIntent.declaredEgressRanges()`): SLOs that read
   * undeclared egress (`destinations: undeclared`) leave these out. Default: none declared.
   */
  declaredEgress?: readonly { cidr: string; ports?: readonly number[]; except?: readonly string[] }[]
}

/** The SLO side's reader over the 1-minute rollups: the two SLO queries, fed an indicator. */
export function createSloRollupReader(
  client: ClickHouseClient,
  options: SloRollupReaderOptions = {},
): SloRollupReader {
  const declared = options.declaredEgress ?? []
  function ratioOf(indicator: SloIndicator): SloRatioSelector {
    const { rollup, service, bad, total } = indicator
    return {
      rollup,
      ...(service === undefined ? {} : { service }),
      bad,
      total,
      ...(indicator.undeclaredEgressOnly && declared.length > 0 ? { excludeDestinations: declared } : {}),
    }
  }
  return {
    windowSums: (indicator, query) => querySloWindows(client, { ...ratioOf(indicator), ...query }),
    windowSumsOfEach: (queries) =>
      querySloWindowsOfEach(
        client,
        queries.map(({ indicator, query }) => ({ ...ratioOf(indicator), ...query })),
      ),
    burnRateCounts: (indicator, query) => queryBurnRateSeries(client, { ...ratioOf(indicator), ...query }),
  }
}
