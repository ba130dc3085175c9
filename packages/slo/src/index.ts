export type { BurnRatePoint, BurnRateTierStatus, SloStatus, SloStatusSource, WindowBurn } from './slo-status.ts'
