/**
 * Which side of a connection a flow record shows, decided once here for every flow source so that no
 * detector re-guesses it: `is_reply` (the record shows the server answering) and `server_port` (the
 * port the connection was opened to).
 */
export interface ConnectionSide {
  is_reply?: boolean | undefined
  server_port?: number | undefined
}

/** The first port operating systems hand out to clients (Linux 32768-60999, IANA and Windows 49152-65535). */
export const firstEphemeralPort = 32768

/** Ports below this are well-known (IANA system ports): only a server binds them. */
const firstUserPort = 1024

function hasPorts(protocol: string): boolean {
  return protocol === 'tcp' || protocol === 'udp'
}

/**
 * The side a one-way record shows, from its ports alone, for sources that report each direction of
 * a connection separately and say nothing else (VPC flow logs, Hubble records without `is_reply`):
 * a client talks from an ephemeral port to a listening one, so a record from a listening port
 * (below 32768) to an ephemeral one (32768 and up) is the reply, and the reverse the request. When
 * both ports are listening ones, the well-known one (below 1024) is the server's. Anything else
 * (two ephemeral ports, two registered ones) cannot be told: both fields stay absent.
 */
export function sideByPorts(srcPort: number | undefined, dstPort: number, protocol: string): ConnectionSide {
  if (!hasPorts(protocol) || srcPort === undefined) return {}
  const srcListens = srcPort < firstEphemeralPort
  const dstListens = dstPort < firstEphemeralPort
  if (dstListens && !srcListens) return { is_reply: false, server_port: dstPort }
  if (srcListens && !dstListens) return { is_reply: true, server_port: srcPort }
  if (srcListens && dstListens) {
    if (dstPort < firstUserPort && srcPort >= firstUserPort) return { is_reply: false, server_port: dstPort }
    if (srcPort < firstUserPort && dstPort >= firstUserPort) return { is_reply: true, server_port: srcPort }
  }
  return {}
}

/**
 * Complete what a parser decided: a known direction gives the server port (the reply's source
 * port, the request's destination port); an unknown one is read from the ports.
 */
export function completeSide(
  side: ConnectionSide,
  srcPort: number | undefined,
  dstPort: number,
  protocol: string,
): ConnectionSide {
  if (side.is_reply === undefined)
    return side.server_port === undefined ? sideByPorts(srcPort, dstPort, protocol) : side
  if (side.server_port !== undefined || !hasPorts(protocol)) return side
  const serverPort = side.is_reply ? srcPort : dstPort
  return serverPort === undefined ? side : { ...side, server_port: serverPort }
}
