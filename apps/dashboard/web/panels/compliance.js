import { api, qs } from '../api.js'
import { el, empty } from '../dom.js'
import { percent } from '../format.js'

export const loadCompliance = (_panel, range) =>
  api(`api/v1/compliance?${qs({ from: Math.round(range.from), to: Math.round(range.to) })}`)

function figure(name, label, value, hint) {
  const node = el('div', 'stat compliance-figure')
  node.dataset.figure = name
  const ratio = value.total === 0 ? null : value.covered / value.total
  const shown = el(
    'span',
    `stat-value${ratio === null ? '' : ratio >= 0.99 ? ' good' : ratio >= 0.8 ? ' warn' : ' bad'}`,
    percent(ratio),
  )
  node.append(
    el('span', 'stat-label', label),
    shown,
    el('span', 'stat-note', `${value.covered} of ${value.total} ${hint}`),
  )
  if (value.gaps.length > 0) node.title = `not covered: ${value.gaps.join(', ')}`
  return node
}

/** Policy-as-code, default-deny and STRICT mTLS coverage, each with what it counts; gaps on hover. */
export function drawCompliance(entry, answer) {
  entry.legend.replaceChildren()
  if (!answer.declared) {
    empty(entry.body, 'no intent declared (alerts/intent/): nothing to compare the traffic with')
    return false
  }
  if (answer.policyAsCode.total === 0) {
    empty(entry.body, 'no workload-to-workload traffic in this range')
    return false
  }
  const row = el('div', 'stats compliance-stats')
  row.append(
    figure(
      'policy-as-code',
      'policy-as-code coverage',
      answer.policyAsCode,
      'observed edges decided by a declared policy',
    ),
    figure(
      'default-deny',
      'default-deny coverage',
      answer.defaultDeny,
      'destinations refusing an undeclared caller',
    ),
    figure('strict-mtls', 'declared STRICT mTLS', answer.strictMtls, 'destinations'),
  )
  entry.legend.append(el('span', 'muted', `${answer.edges} edges`))
  entry.body.replaceChildren(row)
  return true
}
