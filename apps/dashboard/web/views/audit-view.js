import { api } from '../api.js'
import { el } from '../dom.js'
import { openDetail, section, table, timeCell } from './detail-frame.js'

/** The audit trail, newest first (admins only: the API refuses anyone else). */
export async function showAudit() {
  const { detail, body } = openDetail('audit', el('h1', 'detail-title', 'Audit trail'))
  document.title = 'Audit trail · Palisade'
  const { rows } = await api('api/v1/audit?limit=500')
  body.replaceChildren(
    el(
      'p',
      'summary',
      'Every row carries the hash of the row before it; `palisade audit verify` checks the chain.',
    ),
    section(
      'audit',
      'Who did what',
      table(
        rows,
        [
          ['seq', '#'],
          ['ts', 'time', (ms) => timeCell(ms)],
          ['tenant', 'tenant'],
          ['actor', 'who'],
          ['action', 'what'],
          ['target', 'on'],
          ['source', 'from'],
          ['detail', 'detail'],
        ],
        'nothing audited yet',
      ),
    ),
  )
  detail.dataset.state = 'ready'
}
