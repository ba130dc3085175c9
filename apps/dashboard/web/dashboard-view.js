import { api, Unauthenticated } from './api.js'
import { $, el, empty } from './dom.js'
import { utcDayTime, utcSeconds } from './format.js'
import { drawers, loaders } from './panels/registry.js'
import { showLogin } from './session.js'
import { RANGES, state } from './state.js'
import { setUrlParams, urlParam } from './url-state.js'

export function renderTabs() {
  const tabs = $('#tabs')
  tabs.replaceChildren(
    ...state.dashboards.map((d) => {
      const link = el('a', d.id === state.dashboard?.id ? 'tab active' : 'tab', d.title)
      link.href = `#/${d.id}`
      if (d.description) link.title = d.description
      return link
    }),
  )
  tabs.hidden = state.dashboards.length === 0
}

/** An absolute range in the URL (`from`/`to`, epoch ms: a zoom or a custom range), or undefined. */
export function absoluteRange() {
  const from = Number(urlParam('from'))
  const to = Number(urlParam('to'))
  return Number.isFinite(from) && Number.isFinite(to) && from > 0 && to > from ? { from, to } : undefined
}

// `datetime-local` values are read as UTC, like every time on the page.
const toInput = (ms) => new Date(ms).toISOString().slice(0, 16)
const fromInput = (value) => Date.parse(`${value}:00Z`)

export function renderRanges() {
  const box = $('#ranges')
  const absolute = absoluteRange()
  const buttons = RANGES.map(([name]) => {
    const button = el('button', name === state.range && !absolute ? 'range active' : 'range', name)
    button.type = 'button'
    button.addEventListener('click', () => {
      state.range = name
      setUrlParams({ range: name, from: undefined, to: undefined })
      renderRanges()
      state.rerender()
    })
    return button
  })
  // A custom range: two UTC times behind one button (a drag on a chart sets the same two). When one
  // is set, the button says which.
  const span = absolute ?? currentRange()
  const toggle = el(
    'button',
    absolute ? 'range active custom-toggle' : 'range custom-toggle',
    absolute ? `${utcDayTime(new Date(absolute.from))} – ${utcDayTime(new Date(absolute.to))} UTC` : 'custom',
  )
  toggle.type = 'button'
  toggle.title = 'a custom range (UTC); drag across a chart to zoom'
  const custom = el('span', 'custom-range')
  custom.hidden = true
  toggle.addEventListener('click', () => {
    custom.hidden = !custom.hidden
  })
  const start = el('input')
  start.type = 'datetime-local'
  start.value = toInput(span.from)
  start.setAttribute('aria-label', 'From (UTC)')
  const end = el('input')
  end.type = 'datetime-local'
  end.value = toInput(span.to)
  end.setAttribute('aria-label', 'To (UTC)')
  const apply = el('button', 'range', 'apply')
  apply.type = 'button'
  apply.addEventListener('click', () => {
    const from = fromInput(start.value)
    const to = fromInput(end.value)
    if (!(from < to)) return
    setUrlParams({ from: String(from), to: String(to) })
    renderRanges()
    state.rerender()
  })
  custom.append(start, el('span', 'muted', '–'), end, apply)
  box.replaceChildren(...buttons, toggle, custom)
}

export async function openDashboard(id) {
  const dashboard = await api(`api/v1/dashboards/${encodeURIComponent(id)}`)
  state.dashboard = dashboard
  // The URL's range wins over the dashboard's default: a reload or a shared link keeps the view.
  const wanted = urlParam('range')
  state.range = RANGES.some(([name]) => name === wanted) ? wanted : dashboard.defaultRange
  document.title = `${dashboard.title} · Palisade`
  renderTabs()
  renderRanges()
  $('#controls').hidden = false
  const grid = $('#dashboard')
  grid.hidden = false
  $('#detail').hidden = true
  document.body.dataset.view = 'dashboard'
  state.panels.clear()
  grid.replaceChildren(
    ...dashboard.panels.map((panel) => {
      const section = el('section', `panel panel-${panel.type}`)
      section.dataset.panelId = panel.id
      section.dataset.state = 'loading'
      // CSSOM writes are allowed under the CSP; style attributes are not.
      section.style.gridColumn = `span ${panel.layout.columns}`
      section.style.gridRow = `span ${panel.layout.rows}`
      const header = el('header', 'panel-header')
      const titles = el('div', 'panel-titles')
      titles.append(el('h2', '', panel.title))
      if (panel.description) titles.append(el('p', 'panel-description', panel.description))
      const legend = el('div', 'legend')
      header.append(titles, legend)
      const body = el('div', 'panel-body')
      body.append(el('div', 'loading', 'loading…'))
      section.append(header, body)
      state.panels.set(panel.id, { panel, section, body, legend, data: undefined })
      return section
    }),
  )
  clearInterval(state.timer)
  state.timer = setInterval(refresh, dashboard.refreshSeconds * 1000)
  await refresh()
}

export function currentRange() {
  const absolute = absoluteRange()
  if (absolute) return absolute
  const to = Date.now()
  const span = RANGES.find(([name]) => name === state.range)?.[1] ?? 6 * 3600e3
  return { from: to - span, to }
}

export async function refresh() {
  // A detail view is open: the grid is refreshed again when the analyst comes back to it.
  if (!state.dashboard || $('#dashboard').hidden) return
  const range = currentRange()
  state.lastRange = range
  // A newer refresh (a range click while this one loads) wins: an older answer never overdraws it.
  const generation = ++state.generation
  const results = await Promise.allSettled(
    [...state.panels.values()].map(async (entry) => {
      try {
        const data = await loaders[entry.panel.type](entry.panel, range)
        if (generation !== state.generation) return
        entry.data = data
        draw(entry, range)
      } catch (error) {
        if (error instanceof Unauthenticated) throw error
        if (generation !== state.generation) return
        entry.data = undefined
        entry.section.dataset.state = 'error'
        entry.legend.replaceChildren()
        empty(entry.body, `could not load: ${error.message}`)
        entry.body.firstChild.classList.add('error')
      }
    }),
  )
  if (results.some((r) => r.status === 'rejected' && r.reason instanceof Unauthenticated)) {
    showLogin('Your session ended. Sign in again.')
    return
  }
  $('#updated').textContent = `updated ${utcSeconds(new Date())} UTC`
  document.body.dataset.state = 'ready'
}

export function draw(entry, range) {
  const drawn = drawers[entry.panel.type](entry, entry.data, range)
  entry.section.dataset.state = drawn === false ? 'empty' : 'ready'
}
