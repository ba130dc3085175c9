import { el } from '../dom.js'

/** A panel that says in words why it shows no data (no source sends it yet). */
export function drawNotice(entry) {
  entry.legend.replaceChildren()
  entry.body.replaceChildren(el('p', 'panel-notice', entry.panel.text))
  // Not "empty": the words are the content.
  return true
}
