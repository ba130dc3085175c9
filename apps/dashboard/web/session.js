import { api, Unauthenticated } from './api.js'
import { $ } from './dom.js'
import { state } from './state.js'

// main.js starts the app after a sign-in; it registers itself here so that this module need not import it.
let afterSignIn = async () => {}

/** What to run once the form has exchanged a token for a session. */
export function whenSignedIn(start) {
  afterSignIn = start
}

export function showLogin(message) {
  clearInterval(state.timer)
  state.timer = undefined
  $('#dashboard').hidden = true
  $('#detail').hidden = true
  $('#controls').hidden = true
  $('#tabs').hidden = true
  $('#login').hidden = false
  $('#login-error').textContent = message ?? ''
  document.body.dataset.state = 'login'
  $('#token').focus()
  // Single sign-on is offered when the server has a provider configured.
  fetch('api/v1/oidc')
    .then((response) => (response.ok ? response.json() : { enabled: false }))
    .then(({ enabled }) => {
      $('#oidc-login').hidden = !enabled
    })
    .catch(() => {})
}

export async function login(event) {
  event.preventDefault()
  const button = $('#login-button')
  const input = $('#token')
  button.disabled = true
  $('#login-error').textContent = ''
  try {
    const response = await fetch('api/v1/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: input.value.trim() }),
    })
    if (response.status === 201) {
      input.value = ''
      await afterSignIn()
    } else if (response.status === 401) {
      $('#login-error').textContent = 'That token was not accepted.'
    } else {
      $('#login-error').textContent = `Sign-in failed (${response.status}).`
    }
  } catch (error) {
    $('#login-error').textContent = `Sign-in failed: ${error.message}`
  } finally {
    button.disabled = false
  }
}

export async function logout() {
  try {
    await api('api/v1/session', { method: 'DELETE', headers: { 'content-type': 'application/json' } })
  } catch (error) {
    if (!(error instanceof Unauthenticated)) console.error(error)
  }
  showLogin('Signed out.')
}
