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
export { readSharedFixture, sharedFixturesAvailable, sharedFixturesDir } from './shared-fixtures.ts'
export {
  crs4BlockedModsecurityRecord,
  elasticAwsWafRecords,
  elasticModsecurityRecords,
} from './waf-records.ts'
