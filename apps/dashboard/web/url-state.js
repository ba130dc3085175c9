// The view's range and filters live in the query string (the view itself in the hash), so that a
// reload or a shared link opens the same thing. replaceState: a range click is not a history step.

/** Read a query-string parameter of the page's own URL. */
export function urlParam(name) {
  return new URLSearchParams(location.search).get(name) ?? undefined
}

/** Set (or, with undefined, remove) query-string parameters, keeping the hash. */
export function setUrlParams(values) {
  const params = new URLSearchParams(location.search)
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === '') params.delete(name)
    else params.set(name, value)
  }
  const search = params.toString()
  history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}${location.hash}`)
}
