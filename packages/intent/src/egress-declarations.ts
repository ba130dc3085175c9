import type { AddressSet } from './cidr.ts'
import { normaliseHost } from './string-match.ts'

/** One declared external destination: a host pattern or an address range, optionally on some ports. */
export interface EgressDeclaration {
  /** The declaration it comes from: `PalisadeIntent/<name>` or `CiliumNetworkPolicy/<ns>/<name>`. */
  by: string
  /** The destination as written (`api.stripe.com`, `*.s3.amazonaws.com`, `198.51.100.0/24`), for reports. */
  target: string
  /** Ports it covers; undefined: any port. */
  ports?: readonly number[]
  host?: (normalisedHost: string) => boolean
  addresses?: AddressSet
}

/**
 * Whether a destination is declared: its host matches a host pattern or its address falls in a range,
 * on a declared port. A query without a port matches whatever ports are declared.
 */
export function findEgressDeclaration(
  declarations: readonly EgressDeclaration[],
  destination: { ip?: string; host?: string; port?: number },
): EgressDeclaration | undefined {
  const host = destination.host ? normaliseHost(destination.host) : undefined
  for (const declaration of declarations) {
    if (destination.port !== undefined && declaration.ports && !declaration.ports.includes(destination.port))
      continue
    if (host !== undefined && declaration.host?.(host)) return declaration
    if (destination.ip !== undefined && declaration.addresses?.has(destination.ip)) return declaration
  }
  return undefined
}
