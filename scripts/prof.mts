import { validateEvent } from '../packages/schema/src/index.ts'
import { openClickHouse, migrate, migrationsDir } from '../packages/clickhouse/src/index.ts'
const t0 = Date.UTC(2026,10,23)
const c = await openClickHouse({kind:'embedded', dataDir:'/tmp/prof5'}); await migrate(c, {dir: migrationsDir})
let lookupMs = 0, insertMs = 0
for (let b = 0; b < 100; b++) {
  const evs = Array.from({length: 10000}, (_, j) => { const i = b*10000+j; const v = validateEvent('flow', {event_id:`b-${i}`, ts: t0+Math.floor(i/20), service:`svc-${i%20}`, src_identity:`spiffe://bench.example/ns/app/sa/client-${i%50}`, dst_identity:'spiffe://bench.example/ns/app/sa/svc', src_ip:'10.0.0.1', dst_ip:'10.1.0.2', src_port: 3000, dst_port: 8080, protocol:'tcp', verdict:'allowed', bytes_sent: 5, bytes_received: 7, packets: 3, duration_ms: 4}, {tenant:'x', observedAt:1}); return (v as any).event })
  let t = performance.now()
  const r = await c.query({query:`SELECT event_id FROM flow_events WHERE tenant={t:String} AND service IN {s:Array(String)} AND ts BETWEEN fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND fromUnixTimestamp64Milli({to:Int64}, 'UTC') AND event_id IN {ids:Array(String)}`, query_params:{t:'x', s: [...new Set(evs.map(e=>e.service))], from: evs[0].ts, to: evs.at(-1).ts, ids: evs.map(e=>e.event_id)}, format:'JSONCompactEachRow'}); await r.json()
  lookupMs += performance.now() - t
  t = performance.now()
  await c.insert({table:'flow_events', values: evs, format:'JSONEachRow', clickhouse_settings:{insert_deduplication_token: 'tok'+b, deduplicate_blocks_in_dependent_materialized_views: 1}})
  insertMs += performance.now() - t
  if (b % 20 === 19) { console.log(`after ${(b+1)*10}k: lookup ${(lookupMs/20).toFixed(0)} ms/batch, insert ${(insertMs/20).toFixed(0)} ms/batch`); lookupMs = 0; insertMs = 0 }
}
const parts = await (await c.query({query:"SELECT table, count() n FROM system.parts WHERE active GROUP BY table", format:'JSONEachRow'})).json(); console.log(parts)
await c.close()
