import { BlockList, isIP } from 'node:net'

/** A parsed CIDR range (a bare address is a single-host range: /32 or /128). */
export interface Cidr {
  address: string
  prefix: number
  family: 'ipv4' | 'ipv6'
  /** The range as written, for messages. */
  text: string
}

/** Parse `198.51.100.0/24`, `2001:db8::/32` or a bare address; undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/')
  const address = slash < 0 ? text : text.slice(0, slash)
  const version = isIP(address)
  if (version === 0) return undefined
  const family = version === 4 ? 'ipv4' : 'ipv6'
  const max = version === 4 ? 32 : 128
  if (slash < 0) return { address, prefix: max, family, text }
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  if (prefix > max) return undefined
  return { address, prefix, family, text }
}

/** Normalise an address for `BlockList`: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is checked as IPv4. */
function addressFamily(ip: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  const address = mapped ? mapped[1]! : ip
  const version = isIP(address)
  if (version === 0) return undefined
  return { address, family: version === 4 ? 'ipv4' : 'ipv6' }
}

/** A set of CIDR ranges, IPv4 and IPv6, with `except` holes; backed by `node:net` `BlockList`. */
export class AddressSet {
  private readonly included = new BlockList()
  private readonly excluded = new BlockList()
  private count = 0
  private holes = 0

  add(cidr: Cidr): this {
    this.included.addSubnet(cidr.address, cidr.prefix, cidr.family)
    this.count += 1
    return this
  }

  except(cidr: Cidr): this {
    this.excluded.addSubnet(cidr.address, cidr.prefix, cidr.family)
    this.holes += 1
    return this
  }

  /** Whether `ip` is inside one of the ranges and outside every hole; false for anything not an address. */
  has(ip: string): boolean {
    if (this.count === 0) return false
    const parsed = addressFamily(ip)
    if (!parsed) return false
    if (!this.included.check(parsed.address, parsed.family)) return false
    return this.holes === 0 || !this.excluded.check(parsed.address, parsed.family)
  }

  get size(): number {
    return this.count
  }
}
