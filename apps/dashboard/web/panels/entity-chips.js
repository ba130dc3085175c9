import { el } from '../dom.js'
import { shortName } from '../format.js'
import { entityHref, entityKindOf } from '../links.js'

/** A finding's entities as chips; a chip whose value is an entity opens that entity's page. */
export function entityChips(entities) {
  const chips = el('div', 'entities')
  for (const [role, value] of Object.entries(entities ?? {})) {
    const kind = entityKindOf(role, value)
    const chip = el(kind ? 'a' : 'span', kind ? 'chip chip-link' : 'chip')
    chip.title = `${role}: ${value}`
    if (kind) {
      chip.href = entityHref(kind, value)
      chip.dataset.entityKind = kind
    }
    chip.append(
      el('span', 'chip-role', role.replace(/_identity$/, '').replace(/_/g, ' ')),
      document.createTextNode(shortName(value)),
    )
    chips.append(chip)
  }
  return chips
}
