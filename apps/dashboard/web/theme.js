export const PALETTE = ['#58a6ff', '#d2a8ff', '#f0883e', '#3fb950', '#ff7b72', '#79c0ff']
export const COLORS = {
  edge: '#4d5b70',
  fresh: '#f0883e',
  blocked: '#f85149',
  node: '#1f6feb',
  nodeStroke: '#79c0ff',
}
