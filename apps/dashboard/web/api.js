export class Unauthenticated extends Error {}

export async function api(path, init = {}) {
  const response = await fetch(path, {
    credentials: 'same-origin',
    ...init,
    headers: { accept: 'application/json', ...(init.headers ?? {}) },
  })
  if (response.status === 401) throw new Unauthenticated('session ended')
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`
    try {
      message = (await response.json())?.error?.message ?? message
    } catch {
      // Not JSON (a proxy's error page): the status line says enough.
    }
    throw new Error(message)
  }
  return response.status === 204 ? undefined : response.json()
}

export const qs = (params) =>
  new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null),
  ).toString()
