export const PALETTE = ['#58a6ff', '#d2a8ff', '#f0883e', '#3fb950', '#ff7b72', '#79c0ff']
export const COLORS = {
  edge: '#4d5b70',
  fresh: '#f0883e',
  blocked: '#f85149',
  node: '#1f6feb',
  nodeStroke: '#79c0ff',
}

/** How a service-graph link ran (the API's `mtls`): green mutual, blue server-only, amber plaintext. */
export const MTLS_COLORS = {
  mutual: '#3fb950',
  tls: '#58a6ff',
  plaintext: '#d29922',
  unknown: '#6e7b8b',
}
export const MTLS_LABELS = {
  mutual: 'mutual TLS',
  tls: 'server-only TLS',
  plaintext: 'plaintext',
  unknown: 'mTLS unknown',
}

/** Namespaces of the service graph: hues that none of the links' or the new-edge colours use. */
export const NAMESPACE_TINTS = ['#58a6ff', '#d2a8ff', '#39c5cf', '#f778ba', '#a5d6ff', '#bc8cff', '#8b949e']
