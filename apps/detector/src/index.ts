export {
  createDetectorRuntime,
  type DetectorRuntime,
  type DetectorRuntimeOptions,
} from './detector-runtime.ts'
export { subscribeDetectors } from './detector-subscription.ts'
