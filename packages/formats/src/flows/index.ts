import type { FormatParser } from '../format-parser.ts'
import { awsVpcFlowParser } from './aws-vpc-flow.ts'
import { azureNsgFlowParser, azureVnetFlowParser } from './azure-flow.ts'
import { gcpVpcFlowParser } from './gcp-vpc-flow.ts'
import { hubbleFlowParser } from './hubble-flow.ts'
import { zeekConnParser } from './zeek-conn.ts'

/** Flow-log formats: AWS VPC, GCP VPC, Azure NSG/VNet, Cilium Hubble, Zeek conn.log. */
export const flowParsers: FormatParser[] = [
  awsVpcFlowParser,
  gcpVpcFlowParser,
  azureNsgFlowParser,
  azureVnetFlowParser,
  hubbleFlowParser,
  zeekConnParser,
]
