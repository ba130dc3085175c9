import { describe, expect, it } from 'vitest'

// The service graph's layout is a browser module without DOM use; it runs here as it is.
type Node = { id: string; namespace: string; x?: number; y?: number }
type Link = { source: Node; target: Node }
type Band = { namespace: string; y0: number; y1: number }
const layout = (await import(String(new URL('../web/panels/service-graph-layout.js', import.meta.url)))) as {
  layoutByNamespace(
    nodes: Node[],
    links: Link[],
    size: { width: number; height: number; gutter: number },
  ): Band[]
  namespaceOf(name: string): string
}

function graph(edges: [string, string][]) {
  const nodes = new Map<string, Node>()
  const node = (id: string) => {
    if (!nodes.has(id)) nodes.set(id, { id, namespace: layout.namespaceOf(id) })
    return nodes.get(id) as Node
  }
  const links = edges.map(([a, b]) => ({ source: node(a), target: node(b) }))
  return { nodes: [...nodes.values()], links, at: (id: string) => node(id) }
}

describe('service graph layout', () => {
  it('names the namespace of SPIFFE IDs, Istio principals and ns/name, and none for addresses', () => {
    expect(layout.namespaceOf('spiffe://acme.io/ns/shop/sa/web')).toBe('shop')
    expect(layout.namespaceOf('cluster.local/ns/default/sa/sleep')).toBe('default')
    expect(layout.namespaceOf('kube-system/coredns')).toBe('kube-system')
    expect(layout.namespaceOf('10.0.0.0/8')).toBe('')
    expect(layout.namespaceOf('203.0.113.9')).toBe('')
  })

  it('puts each namespace in its own band and callers left of what they call, cycles included', () => {
    const { nodes, links, at } = graph([
      ['edge/gateway', 'shop/orders'],
      ['shop/orders', 'data/db'],
      ['shop/web', 'edge/gateway'],
      // A call back up the chain (orders calls the gateway that calls it) leaves the order alone.
      ['shop/orders', 'edge/gateway'],
      ['data/db', '203.0.113.9'],
    ])
    const bands = layout.layoutByNamespace(nodes, links, { width: 900, height: 400, gutter: 90 })
    // The namespace-less band comes last; bands do not overlap and stay inside the height.
    expect(bands.at(-1)?.namespace).toBe('')
    for (const [a, b] of bands.slice(0, -1).map((band, i) => [band, bands[i + 1]] as const))
      expect(a.y1).toBeLessThanOrEqual(b?.y0 ?? 0)
    expect(bands.at(-1)?.y1).toBeLessThanOrEqual(400)
    for (const node of nodes) {
      const band = bands.find((b) => b.namespace === node.namespace) as Band
      expect(node.y).toBeGreaterThan(band.y0)
      expect(node.y).toBeLessThan(band.y1)
      expect(node.x).toBeGreaterThan(90)
    }
    expect(at('shop/web').x).toBeLessThan(at('edge/gateway').x as number)
    expect(at('edge/gateway').x).toBeLessThan(at('shop/orders').x as number)
    expect(at('shop/orders').x).toBeLessThan(at('data/db').x as number)
  })

  it('gives nodes at one depth of one namespace their own lanes', () => {
    const { nodes, links, at } = graph([
      ['shop/web', 'shop/a'],
      ['shop/web', 'shop/b'],
      ['shop/web', 'shop/c'],
    ])
    layout.layoutByNamespace(nodes, links, { width: 600, height: 300, gutter: 90 })
    const ys = ['shop/a', 'shop/b', 'shop/c'].map((id) => at(id).y as number)
    expect(new Set(ys).size).toBe(3)
    expect(Math.min(...ys.slice(1).map((y, i) => Math.abs(y - (ys[i] as number))))).toBeGreaterThan(60)
  })

  it('gives namespaces that form a chain of tiers a column each, in calling order', () => {
    const { nodes, links, at } = graph([
      ['web/a', 'api/a'],
      ['web/b', 'api/a'],
      ['api/a', 'data/db'],
      ['api/a', 'data/cache'],
    ])
    const bands = layout.layoutByNamespace(nodes, links, { width: 900, height: 400, gutter: 90 }) as (Band & {
      x0: number
      x1: number
      vertical: boolean
    })[]
    expect(bands.map((b) => [b.namespace, b.vertical])).toEqual([
      ['web', true],
      ['api', true],
      ['data', true],
    ])
    for (const node of nodes) {
      const band = bands.find((b) => b.namespace === node.namespace)
      expect(node.x).toBeGreaterThan(band?.x0 ?? 0)
      expect(node.x).toBeLessThan(band?.x1 ?? 0)
    }
    expect(at('web/a').x).toBeLessThan(at('api/a').x as number)
  })
})
