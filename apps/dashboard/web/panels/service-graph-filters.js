import { el } from '../dom.js'
import { state } from '../state.js'
import { MTLS_LABELS } from '../theme.js'
import { setUrlParams, urlParam } from '../url-state.js'
import { namespaceTitle } from './service-graph-layout.js'

// The service graph's filters live in the URL like the range: a reload or a shared link shows the
// same links. The names are the API's (`GET /api/v1/panels/service_graph?namespace=…`).
const NAMES = ['namespace', 'mtls', 'denied', 'min_rate']

/** Rates offered, per second (the API's unit), with how people say them. */
const RATES = [
  ['', 'any rate'],
  ['0.0167', '≥ 1 / min'],
  ['0.1667', '≥ 10 / min'],
  ['1', '≥ 1 / s'],
  ['10', '≥ 10 / s'],
]

/** The filters in the URL, as the panel query's parameters (absent ones left out). */
export function graphFilterParams() {
  return Object.fromEntries(NAMES.map((name) => [name, urlParam(name)]).filter(([, value]) => value))
}

/** Whether any filter narrows the graph. */
export const graphFiltered = () => Object.keys(graphFilterParams()).length > 0

function select(name, label, options, value) {
  const node = el('select', 'filter graph-filter')
  node.name = name
  node.setAttribute('aria-label', label)
  for (const [optionValue, text] of options) {
    const option = el('option', '', text)
    option.value = optionValue
    node.append(option)
  }
  node.value = value ?? ''
  return node
}

/** The filter bar: namespace, mTLS state, denied only, minimum rate, and a reset when any is set. */
export function graphFilterBar(namespaces) {
  const current = graphFilterParams()
  // The namespaces of the links shown, and the one chosen. (Not a cache across draws: after a
  // sign-in as another tenant the page must not offer the first tenant's names.)
  const knownNamespaces = new Set(namespaces)
  if (current.namespace) knownNamespaces.add(current.namespace)
  const bar = el('div', 'graph-filters')
  const apply = (values) => {
    setUrlParams(values)
    // The panel says it is loading until the narrowed graph is drawn.
    const section = bar.closest('.panel')
    if (section) section.dataset.state = 'loading'
    state.rerender()
  }
  const namespace = select(
    'namespace',
    'Namespace',
    [
      ['', 'all namespaces'],
      ...[...knownNamespaces]
        .filter((n) => n !== '')
        .sort()
        .map((n) => [n, namespaceTitle(n)]),
    ],
    current.namespace,
  )
  const mtls = select('mtls', 'mTLS state', [['', 'any mTLS'], ...Object.entries(MTLS_LABELS)], current.mtls)
  const rates = RATES.some(([value]) => value === (current.min_rate ?? ''))
    ? RATES
    : [...RATES, [current.min_rate, `≥ ${current.min_rate} / s`]]
  const rate = select('min_rate', 'Minimum rate', rates, current.min_rate)
  for (const node of [namespace, mtls, rate])
    node.addEventListener('change', () => apply({ [node.name]: node.value || undefined }))
  const deniedBox = el('input')
  deniedBox.type = 'checkbox'
  deniedBox.name = 'denied'
  deniedBox.checked = current.denied === 'true'
  deniedBox.addEventListener('change', () => apply({ denied: deniedBox.checked ? 'true' : undefined }))
  const denied = el('label', 'graph-filter-check')
  denied.append(deniedBox, el('span', '', 'denied only'))
  bar.append(namespace, mtls, rate, denied)
  if (graphFiltered()) {
    const reset = el('button', 'graph-filter-reset', 'clear filters')
    reset.type = 'button'
    reset.addEventListener('click', () => apply(Object.fromEntries(NAMES.map((name) => [name, undefined]))))
    bar.append(reset)
  }
  return bar
}
