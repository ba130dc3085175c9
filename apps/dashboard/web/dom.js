export const EMPTY = 'no data in this window'

export const $ = (selector) => document.querySelector(selector)

export function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

export function badge(severity, text) {
  return el(
    'span',
    `badge badge-${['page', 'ticket', 'info', 'ok'].includes(severity) ? severity : 'info'}`,
    text ?? severity,
  )
}

export function empty(body, message = EMPTY) {
  body.replaceChildren(el('div', 'empty', message))
}
