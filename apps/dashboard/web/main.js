import { api, Unauthenticated } from './api.js'
import { draw, openDashboard } from './dashboard-view.js'
import { $, empty } from './dom.js'
import { login, logout, showLogin, whenSignedIn } from './session.js'
import { state } from './state.js'

async function start() {
  let session
  try {
    session = await api('api/v1/session')
  } catch (error) {
    if (error instanceof Unauthenticated) return showLogin()
    throw error
  }
  $('#login').hidden = true
  $('#tenant').textContent = session.tenant
  const { dashboards } = await api('api/v1/dashboards')
  state.dashboards = dashboards
  const wanted = location.hash.replace(/^#\/?/, '') || 'oncall'
  const id = dashboards.some((d) => d.id === wanted) ? wanted : dashboards[0]?.id
  if (!id) {
    $('#dashboard').hidden = false
    empty($('#dashboard'), 'no dashboards are declared')
    return
  }
  await openDashboard(id)
}

// ---------------------------------------------------------------------------------------------
// Wiring

whenSignedIn(start)
$('#login-form').addEventListener('submit', login)
$('#logout').addEventListener('click', logout)
window.addEventListener('hashchange', () => {
  const id = location.hash.replace(/^#\/?/, '')
  if (state.dashboard && id && id !== state.dashboard.id && state.dashboards.some((d) => d.id === id))
    openDashboard(id)
})
let resizeTimer
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer)
  resizeTimer = setTimeout(() => {
    for (const entry of state.panels.values())
      if (entry.data !== undefined && state.lastRange) draw(entry, state.lastRange)
  }, 150)
})

start().catch((error) => {
  console.error(error)
  showLogin(`Could not load the dashboard: ${error.message}`)
})
