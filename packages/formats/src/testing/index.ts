export {
  coredns,
  corednsIp,
  dnsAnswer,
  dnsQuery,
  hubbleEndpoint,
  hubbleLine,
  ledger,
  ledgerIp,
} from './hubble-records.ts'
export {
  allPaths,
  at,
  commonPaths,
  fieldPaths,
  groupBy,
  hubbleFlowFixturePaths,
  hubbleFlowKind,
  type Json,
  jsonLines,
  missingFrom,
} from './record-shape.ts'
export { readSharedFixture, sharedFixturesAvailable, sharedFixturesDir } from './shared-fixtures.ts'
export {
  crs4BlockedModsecurityRecord,
  elasticAwsWafRecords,
  elasticModsecurityRecords,
} from './waf-records.ts'
