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
