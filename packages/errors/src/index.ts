export { PalisadeError } from './palisade-error.ts'
