/** The demo's small mesh: who talks to whom, and the people who sign in. */
export const trustDomain = 'acme.example'

export const spiffe = (namespace: string, workload: string) =>
  `spiffe://${trustDomain}/ns/${namespace}/sa/${workload}`

export interface Workload {
  name: string
  namespace: string
  ip: string
}

export const workloads: Workload[] = [
  { name: 'frontend', namespace: 'shop', ip: '10.1.0.10' },
  { name: 'cart', namespace: 'shop', ip: '10.1.0.11' },
  { name: 'checkout', namespace: 'shop', ip: '10.1.0.12' },
  { name: 'catalog', namespace: 'shop', ip: '10.1.0.13' },
  { name: 'payments', namespace: 'payments', ip: '10.2.0.10' },
  { name: 'inventory', namespace: 'shop', ip: '10.1.0.14' },
  { name: 'postgres', namespace: 'data', ip: '10.3.0.10' },
  { name: 'redis', namespace: 'data', ip: '10.3.0.11' },
  { name: 'sso', namespace: 'identity', ip: '10.4.0.10' },
]

/** The normal service edges: [source, destination, port, relative weight]. */
export const normalEdges: [string, string, number, number][] = [
  ['frontend', 'catalog', 8080, 10],
  ['frontend', 'cart', 8080, 6],
  ['frontend', 'checkout', 8080, 2],
  ['frontend', 'sso', 8443, 2],
  ['cart', 'redis', 6379, 6],
  ['checkout', 'payments', 8443, 2],
  ['checkout', 'inventory', 8080, 2],
  ['catalog', 'postgres', 5432, 8],
  ['inventory', 'postgres', 5432, 2],
  ['payments', 'postgres', 5432, 2],
]

export const users = Array.from(
  { length: 40 },
  (_, i) => `user${String(i + 1).padStart(2, '0')}@acme.example`,
)

export const offices = [
  { country: 'DE', city: 'Berlin', ipPrefix: '203.0.113.' },
  { country: 'US', city: 'Austin', ipPrefix: '198.51.100.' },
]

export const workloadByName = new Map(workloads.map((workload) => [workload.name, workload]))
