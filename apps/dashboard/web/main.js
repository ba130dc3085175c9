import { api, Unauthenticated } from './api.js'
import { currentRange, draw, openDashboard, refresh, renderRanges } from './dashboard-view.js'
import { $, el, empty } from './dom.js'
import { login, logout, showLogin, whenSignedIn } from './session.js'
import { state } from './state.js'
import { setUrlParams, urlParam } from './url-state.js'
import { showAudit } from './views/audit-view.js'
import { showEntity } from './views/entity-view.js'
import { showFinding } from './views/finding-view.js'
import { showHunt } from './views/hunt-view.js'
import { showIncident } from './views/incident-view.js'
import { showRequest } from './views/request-view.js'

// The view is the hash: `#/<dashboard>`, `#/finding/<id>`, `#/entity/<kind>/<value>`,
// `#/incident/<dedup key>`; values are URI-encoded, so a SPIFFE ID stays one segment.
function parseHash() {
  const [head = '', ...rest] = location.hash.replace(/^#\/?/, '').split('/')
  const part = (index) => decodeURIComponent(rest[index] ?? '')
  if (head === 'finding' && rest.length === 1) return { view: 'finding', id: part(0) }
  if (head === 'entity' && rest.length === 2) return { view: 'entity', kind: part(0), value: part(1) }
  if (head === 'incident' && rest.length === 1) return { view: 'incident', key: part(0) }
  if (head === 'request' && rest.length === 1) return { view: 'request', id: part(0) }
  if (head === 'hunt' && rest.length <= 1)
    return { view: 'hunt', id: rest.length === 1 ? part(0) : undefined }
  if (head === 'audit' && rest.length === 0) return { view: 'audit' }
  return { view: 'dashboard', id: head }
}

// The address routed last (see onAddressChange below).
let routedHref

async function route() {
  const target = parseHash()
  // The timeline filter belongs to one entity page: another view starts unfiltered.
  const path = location.hash.split('?')[0]
  // So do a hunt's query and filters, unless the new view is an unsaved hunt they were set for (a
  // saved hunt opens with its own query).
  if (state.lastPath !== undefined && state.lastPath !== path) {
    const keepHunt = target.view === 'hunt' && target.id === undefined
    setUrlParams(keepHunt ? { only: undefined } : { only: undefined, q: undefined, hf: undefined })
    // This address is the one routed now: the popstate or hashchange that follows the same
    // navigation must not route it a second time (a second view would race the first).
    routedHref = location.href
  }
  state.lastPath = path
  document.body.dataset.view = target.view
  // A zoom or a custom range changes the URL without a click on the range buttons: show it.
  if (state.range) renderRanges()
  $('#hunt-link').classList.toggle('active', target.view === 'hunt')
  try {
    if (target.view === 'dashboard') {
      const wanted = target.id || 'oncall'
      const id = state.dashboards.some((d) => d.id === wanted) ? wanted : state.dashboards[0]?.id
      if (!id) {
        $('#dashboard').hidden = false
        empty($('#dashboard'), 'no dashboards are declared')
        return
      }
      if (state.dashboard?.id === id && !$('#detail').hidden) {
        // Back from a detail view to the same dashboard: show the grid again and bring it up to date.
        $('#detail').hidden = true
        $('#dashboard').hidden = false
        document.title = `${state.dashboard.title} · Palisade`
        await refresh()
      } else if (state.dashboard?.id !== id || $('#dashboard').hidden) await openDashboard(id)
      else await refresh()
      return
    }
    clearInterval(state.timer)
    if (!state.range) state.range = urlParam('range') ?? '6h'
    renderRanges()
    $('#controls').hidden = false
    const range = currentRange()
    if (target.view === 'finding') await showFinding(target.id)
    else if (target.view === 'entity') await showEntity(target.kind, target.value, range)
    else if (target.view === 'hunt') await showHunt(target.id, range)
    else if (target.view === 'request') await showRequest(target.id, range)
    else if (target.view === 'audit') await showAudit()
    else await showIncident(target.key, range)
    document.body.dataset.state = 'ready'
  } catch (error) {
    if (error instanceof Unauthenticated) return showLogin('Your session ended. Sign in again.')
    const detail = $('#detail')
    if (!detail.hidden) {
      detail.dataset.state = 'error'
      detail
        .querySelector('.detail-body')
        ?.replaceChildren(el('div', 'empty error', `could not load: ${error.message}`))
      document.body.dataset.state = 'ready'
    } else throw error
  }
}
state.rerender = route

async function start() {
  let session
  try {
    session = await api('api/v1/session')
  } catch (error) {
    if (error instanceof Unauthenticated) return showLogin()
    throw error
  }
  $('#login').hidden = true
  $('#tenant').textContent = session.role ? `${session.tenant} · ${session.role}` : session.tenant
  // What the role may not use is not offered (the API refuses it anyway).
  state.may = new Set(session.may ?? [])
  $('#audit-link').hidden = !state.may.has('administer')
  // Hunting is an analyst's (and up's).
  $('#hunt-link').hidden = !state.may.has('investigate')
  const { dashboards } = await api('api/v1/dashboards')
  state.dashboards = dashboards
  state.dashboard = undefined
  const severity = $('#severity-filter')
  severity.value = urlParam('severity') ?? ''
  await route()
}

whenSignedIn(start)
$('#login-form').addEventListener('submit', login)
$('#logout').addEventListener('click', logout)
$('#severity-filter').addEventListener('change', (event) => {
  setUrlParams({ severity: event.target.value || undefined })
  route()
})
// A hash link fires hashchange; going back to an entry whose query string differs (a filter was
// set there with replaceState) fires only popstate. Either routes, once per address.
const onAddressChange = () => {
  if (state.dashboards.length === 0 || location.href === routedHref) return
  routedHref = location.href
  route()
}
window.addEventListener('hashchange', onAddressChange)
window.addEventListener('popstate', onAddressChange)
let resizeTimer
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer)
  resizeTimer = setTimeout(() => {
    if ($('#dashboard').hidden) return
    for (const entry of state.panels.values())
      if (entry.data !== undefined && state.lastRange) draw(entry, state.lastRange)
  }, 150)
})

start().catch((error) => {
  console.error(error)
  showLogin(`Could not load the dashboard: ${error.message}`)
})
