import { el } from '../dom.js'
import { shortName } from '../format.js'

export function entityChips(entities) {
  const chips = el('div', 'entities')
  for (const [role, value] of Object.entries(entities ?? {})) {
    const chip = el('span', 'chip')
    chip.title = `${role}: ${value}`
    chip.append(
      el('span', 'chip-role', role.replace(/_identity$/, '').replace(/_/g, ' ')),
      document.createTextNode(shortName(value)),
    )
    chips.append(chip)
  }
  return chips
}
