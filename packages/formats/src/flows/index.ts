import type { FormatParser } from '../format-parser.ts'

/** Flow-log formats: AWS VPC, GCP VPC, Azure NSG/VNet, Cilium Hubble, Zeek conn.log. */
export const flowParsers: FormatParser[] = []
