import { describe, expect, it } from 'vitest'
import { completeSide, sideByPorts } from './connection-side.ts'

describe('connection side > sideByPorts', () => {
  it('reads an ephemeral port to a listening one as the request, the listening port the server', () => {
    expect(sideByPorts(41822, 5432, 'tcp')).toEqual({ is_reply: false, server_port: 5432 })
  })

  it('reads a listening port to an ephemeral one as the reply (a DNS answer to the client)', () => {
    expect(sideByPorts(53, 59057, 'udp')).toEqual({ is_reply: true, server_port: 53 })
  })

  it('gives the well-known port to the server when both ports listen', () => {
    expect(sideByPorts(8443, 443, 'tcp')).toEqual({ is_reply: false, server_port: 443 })
    expect(sideByPorts(22, 2222, 'tcp')).toEqual({ is_reply: true, server_port: 22 })
  })

  it('says nothing when the ports cannot tell, or there are none', () => {
    expect(sideByPorts(40000, 50000, 'tcp')).toEqual({})
    expect(sideByPorts(8080, 9090, 'tcp')).toEqual({})
    expect(sideByPorts(undefined, 443, 'tcp')).toEqual({})
    expect(sideByPorts(0, 0, 'icmp')).toEqual({})
  })
})

describe('connection side > completeSide', () => {
  it("takes the source's word over the ports, and the server port from it", () => {
    expect(completeSide({ is_reply: true }, 9080, 35128, 'tcp')).toEqual({
      is_reply: true,
      server_port: 9080,
    })
    expect(completeSide({ is_reply: false }, 53, 59057, 'udp')).toEqual({
      is_reply: false,
      server_port: 59057,
    })
  })

  it('keeps a direction without ports (ICMP) and falls back to the ports when nothing was said', () => {
    expect(completeSide({ is_reply: true }, undefined, 0, 'icmp')).toEqual({ is_reply: true })
    expect(completeSide({}, 53, 59057, 'udp')).toEqual({ is_reply: true, server_port: 53 })
  })
})
