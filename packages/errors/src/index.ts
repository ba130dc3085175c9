export { PalisadeError } from './palisade-error.ts'
export { StartupError } from './startup-error.ts'
