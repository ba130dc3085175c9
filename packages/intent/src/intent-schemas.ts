import { z } from 'zod'
import { parseCidr } from './cidr.ts'

/*
 * Schemas of the documents we read. Kubernetes objects (NetworkPolicy, Cilium, Istio) are loose:
 * fields we do not use pass through, as `kubectl get -o yaml` output carries many. Palisade's own
 * file is strict: an unknown field there is a typo.
 */

const quoted = (value: unknown) => JSON.stringify(value)

/** A label value: Kubernetes wants strings; YAML turns `version: 2` into a number, so accept scalars. */
const labelValue = z.union([z.string(), z.number(), z.boolean()]).transform(String)

export const labelSelectorSchema = z.looseObject({
  matchLabels: z.record(z.string(), labelValue).optional(),
  matchExpressions: z
    .array(
      z.looseObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(labelValue).optional(),
      }),
    )
    .optional(),
})

const istioSelectorSchema = z.looseObject({ matchLabels: z.record(z.string(), labelValue).optional() })

const metadataSchema = z.looseObject({
  name: z.string({ error: 'is required (metadata.name)' }).min(1),
  namespace: z.string().min(1).optional(),
})

/** A CIDR range with its prefix length (`10.0.0.0/8`, `2001:db8::/32`). */
export const cidrSchema = z.string().refine((text) => text.includes('/') && parseCidr(text) !== undefined, {
  error: (issue) => `expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32, got ${quoted(issue.input)}`,
})

/** A CIDR range or a single address (Cilium's `toCIDR` accepts both). */
const cidrOrAddressSchema = z.string().refine((text) => parseCidr(text) !== undefined, {
  error: (issue) => `expected a CIDR or an IP address, got ${quoted(issue.input)}`,
})

// --- Kubernetes NetworkPolicy (networking.k8s.io/v1) -------------------------------------------

const networkPolicyPortSchema = z.looseObject({
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  port: z
    .union([z.number().int().min(1).max(65535), z.string().min(1)], { error: 'expected a number or a name' })
    .optional(),
  endPort: z.number().int().min(1).max(65535).optional(),
})

const networkPolicyPeerSchema = z
  .looseObject({
    podSelector: labelSelectorSchema.optional(),
    namespaceSelector: labelSelectorSchema.optional(),
    ipBlock: z.looseObject({ cidr: cidrSchema, except: z.array(cidrSchema).optional() }).optional(),
  })
  .superRefine((peer, context) => {
    const selectors = peer.podSelector !== undefined || peer.namespaceSelector !== undefined
    if (!selectors && peer.ipBlock === undefined)
      context.addIssue({ code: 'custom', message: 'a peer needs podSelector, namespaceSelector or ipBlock' })
    if (selectors && peer.ipBlock !== undefined)
      context.addIssue({
        code: 'custom',
        message: 'ipBlock cannot be combined with podSelector or namespaceSelector',
      })
  })

export const networkPolicySchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({
    podSelector: labelSelectorSchema.optional(),
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
    ingress: z
      .array(
        z.looseObject({
          from: z.array(networkPolicyPeerSchema).optional(),
          ports: z.array(networkPolicyPortSchema).optional(),
        }),
      )
      .optional(),
    egress: z
      .array(
        z.looseObject({
          to: z.array(networkPolicyPeerSchema).optional(),
          ports: z.array(networkPolicyPortSchema).optional(),
        }),
      )
      .optional(),
  }),
})
export type NetworkPolicyDocument = z.infer<typeof networkPolicySchema>
export type NetworkPolicyPeer = z.infer<typeof networkPolicyPeerSchema>
export type NetworkPolicyPort = z.infer<typeof networkPolicyPortSchema>

// --- CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (cilium.io/v2) -----------------------

const ciliumPortSchema = z.looseObject({
  port: z
    .union([z.number().int().min(0).max(65535), z.string().min(1)], { error: 'expected a number or a name' })
    .optional(),
  endPort: z.number().int().min(0).max(65535).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP', 'ICMP', 'ICMPv6', 'ANY']).optional(),
})

const ciliumPortRuleSchema = z.looseObject({ ports: z.array(ciliumPortSchema).optional() })

const ciliumCidrRuleSchema = z.looseObject({
  cidr: cidrOrAddressSchema.optional(),
  cidrGroupRef: z.string().optional(),
  except: z.array(cidrOrAddressSchema).optional(),
})

const fqdnSelectorSchema = z
  .looseObject({ matchName: z.string().min(1).optional(), matchPattern: z.string().min(1).optional() })
  .refine((selector) => selector.matchName !== undefined || selector.matchPattern !== undefined, {
    error: 'needs matchName or matchPattern',
  })

const unknownList = z.array(z.unknown()).optional()

const ciliumIngressSchema = z.looseObject({
  fromEndpoints: z.array(labelSelectorSchema).optional(),
  fromEntities: z.array(z.string()).optional(),
  fromCIDR: z.array(cidrOrAddressSchema).optional(),
  fromCIDRSet: z.array(ciliumCidrRuleSchema).optional(),
  fromRequires: unknownList,
  fromNodes: unknownList,
  fromGroups: unknownList,
  toPorts: z.array(ciliumPortRuleSchema).optional(),
  icmps: unknownList,
})

const ciliumEgressSchema = z.looseObject({
  toEndpoints: z.array(labelSelectorSchema).optional(),
  toEntities: z.array(z.string()).optional(),
  toCIDR: z.array(cidrOrAddressSchema).optional(),
  toCIDRSet: z.array(ciliumCidrRuleSchema).optional(),
  toFQDNs: z.array(fqdnSelectorSchema).optional(),
  toServices: unknownList,
  toRequires: unknownList,
  toNodes: unknownList,
  toGroups: unknownList,
  toPorts: z.array(ciliumPortRuleSchema).optional(),
  icmps: unknownList,
})

const ciliumRuleSchema = z.looseObject({
  endpointSelector: labelSelectorSchema.optional(),
  nodeSelector: labelSelectorSchema.optional(),
  ingress: z.array(ciliumIngressSchema).optional(),
  ingressDeny: z.array(ciliumIngressSchema).optional(),
  egress: z.array(ciliumEgressSchema).optional(),
  egressDeny: z.array(ciliumEgressSchema).optional(),
  enableDefaultDeny: z
    .looseObject({ ingress: z.boolean().optional(), egress: z.boolean().optional() })
    .optional(),
})

export const ciliumPolicySchema = z
  .looseObject({
    metadata: metadataSchema,
    spec: ciliumRuleSchema.optional(),
    specs: z.array(ciliumRuleSchema).optional(),
  })
  .refine((policy) => policy.spec !== undefined || policy.specs !== undefined, {
    error: 'needs spec or specs',
  })
export type CiliumPolicyDocument = z.infer<typeof ciliumPolicySchema>
export type CiliumIngressRule = z.infer<typeof ciliumIngressSchema>
export type CiliumEgressRule = z.infer<typeof ciliumEgressSchema>
export type CiliumPortRule = z.infer<typeof ciliumPortRuleSchema>
export type CiliumCidrRule = z.infer<typeof ciliumCidrRuleSchema>

// --- Istio security.istio.io/v1 and v1beta1 -----------------------------------------------------

const mtlsModeSchema = z.enum(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'])

export const peerAuthenticationSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      selector: istioSelectorSchema.optional(),
      mtls: z.looseObject({ mode: mtlsModeSchema.optional() }).optional(),
      portLevelMtls: z
        .record(
          z.string().regex(/^\d{1,5}$/, { error: 'port keys must be port numbers' }),
          z.looseObject({ mode: mtlsModeSchema.optional() }),
        )
        .optional(),
    })
    .optional(),
})
export type PeerAuthenticationDocument = z.infer<typeof peerAuthenticationSchema>

const strings = z.array(z.string()).optional()
const portStrings = z
  .array(
    z
      .union([z.number().int(), z.string()], { error: 'expected a port number' })
      .refine((port) => /^\d{1,5}$/.test(String(port)) && Number(port) <= 65535, {
        error: (issue) => `expected a port number, got ${quoted(issue.input)}`,
      })
      .transform(Number),
  )
  .optional()

const authorizationSourceSchema = z.looseObject({
  principals: strings,
  notPrincipals: strings,
  requestPrincipals: strings,
  notRequestPrincipals: strings,
  namespaces: strings,
  notNamespaces: strings,
  serviceAccounts: strings,
  notServiceAccounts: strings,
  ipBlocks: strings,
  notIpBlocks: strings,
  remoteIpBlocks: strings,
  notRemoteIpBlocks: strings,
})

const authorizationOperationSchema = z.looseObject({
  hosts: strings,
  notHosts: strings,
  ports: portStrings,
  notPorts: portStrings,
  methods: strings,
  notMethods: strings,
  paths: strings,
  notPaths: strings,
})

const authorizationRuleSchema = z.looseObject({
  from: z.array(z.looseObject({ source: authorizationSourceSchema.optional() })).optional(),
  to: z.array(z.looseObject({ operation: authorizationOperationSchema.optional() })).optional(),
  when: z.array(z.looseObject({ key: z.string().min(1), values: strings, notValues: strings })).optional(),
})

export const authorizationPolicySchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      selector: istioSelectorSchema.optional(),
      targetRef: z.unknown().optional(),
      targetRefs: unknownList,
      action: z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']).optional(),
      rules: z.array(authorizationRuleSchema).optional(),
    })
    .optional(),
})
export type AuthorizationPolicyDocument = z.infer<typeof authorizationPolicySchema>
export type AuthorizationRule = z.infer<typeof authorizationRuleSchema>
export type AuthorizationSource = z.infer<typeof authorizationSourceSchema>
export type AuthorizationOperation = z.infer<typeof authorizationOperationSchema>

// --- PalisadeIntent (palisade.dev/v1), strict ---------------------------------------------------

const dnsLabel = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?'
const workloadRefPattern = new RegExp(`^${dnsLabel}/${dnsLabel}$`)
const workloadPatternPattern = new RegExp(`^${dnsLabel}/(\\*|${dnsLabel})$`)
const hostPattern = /^(\*\.)?([a-z0-9_]([-a-z0-9_]*[a-z0-9_])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?\.?$/i

const workloadRefSchema = z.string().regex(workloadRefPattern, {
  error: (issue) => `expected a workload as namespace/name, got ${quoted(issue.input)}`,
})
const workloadPatternSchema = z.string().regex(workloadPatternPattern, {
  error: (issue) => `expected namespace/name or namespace/*, got ${quoted(issue.input)}`,
})
const portSchema = z.number({ error: 'expected a port number' }).int().min(1).max(65535)

const isoTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/
/** An ISO 8601 time with a zone (`2026-01-07T14:00:00Z`), or a date (midnight UTC); epoch ms out. */
const timeSchema = z
  .union([z.string(), z.date()], { error: 'expected an ISO 8601 time such as 2026-01-07T14:00:00Z' })
  .transform((value, context) => {
    if (value instanceof Date) return value.getTime()
    const ms = isoTime.test(value) ? Date.parse(value) : Number.NaN
    if (Number.isNaN(ms)) {
      const hint =
        /T\d{2}:\d{2}/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? ' (add Z or an offset)' : ''
      context.addIssue({
        code: 'custom',
        message: `expected an ISO 8601 time such as 2026-01-07T14:00:00Z, got ${quoted(value)}${hint}`,
      })
      return z.NEVER
    }
    return ms
  })

const changeSchema = z
  .strictObject({
    id: z.string().min(1),
    from: timeSchema,
    to: timeSchema,
    description: z.string().optional(),
    workloads: z.array(workloadRefSchema).optional(),
    policies: z.array(z.string().min(1)).optional(),
    addsEdges: z
      .array(z.strictObject({ from: workloadRefSchema, to: workloadRefSchema, port: portSchema.optional() }))
      .optional(),
  })
  .superRefine((change, context) => {
    if (change.from >= change.to)
      context.addIssue({
        code: 'custom',
        path: ['to'],
        message: `must be after from (${new Date(change.from).toISOString()}), got ${new Date(change.to).toISOString()}`,
      })
  })

export const palisadeIntentSchema = z.strictObject({
  apiVersion: z.literal('palisade.dev/v1'),
  kind: z.literal('PalisadeIntent'),
  metadata: z.strictObject({
    name: z.string({ error: 'is required (metadata.name)' }).min(1),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.strictObject({
    egress: z
      .array(
        z
          .strictObject({
            host: z
              .string()
              .regex(hostPattern, {
                error: (issue) => `expected a host name or *.suffix, got ${quoted(issue.input)}`,
              })
              .optional(),
            cidr: cidrSchema.optional(),
            ports: z.array(portSchema).optional(),
            description: z.string().optional(),
          })
          .refine((entry) => (entry.host === undefined) !== (entry.cidr === undefined), {
            error: 'needs exactly one of host or cidr',
          }),
      )
      .optional(),
    corporateEgress: z
      .strictObject({
        cidrs: z.array(cidrSchema).optional(),
        asns: z
          .array(z.number({ error: 'expected an AS number' }).int().min(0).max(4_294_967_295))
          .optional(),
      })
      .optional(),
    sensitive: z.array(workloadPatternSchema).optional(),
    monitoring: z.array(workloadPatternSchema).optional(),
    knownDrops: z
      .array(
        z.strictObject({
          from: workloadPatternSchema.optional(),
          to: workloadPatternSchema.optional(),
          port: portSchema.optional(),
          description: z.string().optional(),
        }),
      )
      .optional(),
    namespaceTenants: z
      .record(
        z.string().regex(new RegExp(`^${dnsLabel}$`), { error: 'namespace names are lower-case DNS labels' }),
        z.string().min(1),
      )
      .optional(),
    changes: z.array(changeSchema).optional(),
    /**
     * Names the records give one workload that they cannot join themselves (a Deployment's app
     * label in one source, its service account in another): each entry's names are one workload.
     */
    workloadAliases: z
      .array(
        z.strictObject({
          workload: workloadRefSchema,
          aliases: z.array(workloadRefSchema).min(1),
          description: z.string().optional(),
        }),
      )
      .optional(),
    /**
     * Privileged accounts (identity-provider administrators, break-glass accounts): as the sign-in
     * records name them (e-mail / login), `*@domain` for a whole domain. Identity rules page sooner
     * for them: sign-in records carry no groups or admin roles to tell them apart.
     */
    privileged: z
      .array(
        z
          .string()
          .regex(/^[^\s@]*(@[^\s@]+)?$/, {
            error: (issue) =>
              `expected a login such as admin@acme.example or *@domain, got ${quoted(issue.input)}`,
          })
          .min(1),
      )
      .optional(),
  }),
})
export type PalisadeIntentDocument = z.infer<typeof palisadeIntentSchema>
