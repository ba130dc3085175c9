// d3's UMD build sets globalThis.d3 (loaded by index.html before the bundle); every module takes it from here.
export const d3 = globalThis.d3
if (!d3) {
  document.body.textContent = 'd3 did not load (vendor/d3/d3.min.js); the dashboard cannot draw.'
  throw new Error('d3 missing')
}
