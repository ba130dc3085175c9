import { api } from '../api.js'
import { el, empty } from '../dom.js'
import { percent } from '../format.js'
import { entityLink } from '../links.js'

/** The SLO statuses, grouped by service: worst short-window burn first, then least budget left. */
export async function loadSloBurnServices() {
  const { slos } = await api('api/v1/slos')
  const byService = new Map()
  for (const slo of slos) {
    const burn = Math.max(0, ...slo.burnRates.map((b) => b.burnRate))
    const current = byService.get(slo.service) ?? { service: slo.service, burn: 0, budget: 1, slos: [] }
    current.burn = Math.max(current.burn, burn)
    current.budget = Math.min(current.budget, slo.budgetRemaining)
    current.slos.push(slo.displayName || slo.name)
    byService.set(slo.service, current)
  }
  return [...byService.values()].sort((a, b) => b.burn - a.burn || a.budget - b.budget)
}

export function drawSloBurnServices(entry, rows) {
  entry.legend.replaceChildren()
  if (rows.length === 0) {
    empty(entry.body, 'no SLOs declared (alerts/slos/)')
    return false
  }
  const table = el('table', 'data-table')
  const head = el('tr')
  for (const [label, num] of [
    ['service', false],
    ['worst burn', true],
    ['budget left', true],
    ['SLOs', false],
  ])
    head.append(el('th', num ? 'num' : '', label))
  table.append(el('thead'), el('tbody'))
  table.tHead.append(head)
  for (const row of rows) {
    const tr = el('tr')
    const service = el('td')
    service.append(entityLink('service', row.service, row.service))
    const burn = el(
      'td',
      `num${row.burn >= 14.4 ? ' bad' : row.burn >= 1 ? ' warn' : ''}`,
      `${row.burn.toFixed(1)}×`,
    )
    tr.append(service, burn, el('td', 'num', percent(row.budget)), el('td', '', row.slos.join(', ')))
    table.tBodies[0].append(tr)
  }
  entry.body.replaceChildren(table)
  return true
}
