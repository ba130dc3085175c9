import { parseArgs } from 'node:util'
import { CliUsageError } from './cli-args.ts'

const USAGE = `usage: palisade keys <list|create|rotate|revoke> [options]
  keys list                                  every key of the tenant (a platform admin: of every tenant)
  keys create --role ROLE --name NAME        a new key; printed once, never stored in clear
  keys rotate KEY_ID                         revoke a key and issue its replacement (same tenant, role, name)
  keys revoke KEY_ID                         the key stops working at once on this server
options: --tenant T (a platform admin acting in tenant T), --url URL (PALISADE_API_URL), --token T`

/** Arguments of `palisade keys`. */
export type KeysArgs = { url: string | undefined; token: string | undefined; tenant: string | undefined } & (
  | { action: 'list' }
  | { action: 'create'; role: string; name: string }
  | { action: 'rotate' | 'revoke'; keyId: string }
)

/** Pure: parse `palisade keys …`. */
export function parseKeysArgs(argv: string[]): KeysArgs {
  let parsed: ReturnType<typeof parseKeysOptions>
  try {
    parsed = parseKeysOptions(argv)
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message}\n${USAGE}`)
  }
  const { values, positionals } = parsed
  const common = { url: values.url, token: values.token, tenant: values.tenant }
  const [action, keyId, ...rest] = positionals
  if (rest.length > 0) throw new CliUsageError(USAGE)
  if (action === 'list' && keyId === undefined) return { ...common, action }
  if (action === 'create' && keyId === undefined && values.role && values.name)
    return { ...common, action, role: values.role, name: values.name }
  if ((action === 'rotate' || action === 'revoke') && keyId !== undefined) return { ...common, action, keyId }
  throw new CliUsageError(USAGE)
}

function parseKeysOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      tenant: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
    },
  })
}

interface ListedKey {
  keyId: string
  tenant: string
  role: string
  name: string
  createdAt: number
  revokedAt?: number
}

function keyLine(key: ListedKey): string {
  const state = key.revokedAt === undefined ? 'active' : `revoked ${new Date(key.revokedAt).toISOString()}`
  return `${key.keyId}  ${key.tenant}  ${key.role}  ${new Date(key.createdAt).toISOString()}  ${state}  ${key.name}`
}

/** Run `palisade keys …` against the API (`/api/v1/keys`); resolves with what to print. */
export async function runKeysCommand(options: {
  apiUrl: string
  token: string
  args: KeysArgs
}): Promise<string> {
  const { args } = options
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token}`,
    'content-type': 'application/json',
  }
  if (args.tenant) headers['x-palisade-tenant'] = args.tenant
  const base = `${options.apiUrl}/api/v1/keys`
  const request =
    args.action === 'list'
      ? fetch(base, { headers })
      : args.action === 'create'
        ? fetch(base, { method: 'POST', headers, body: JSON.stringify({ role: args.role, name: args.name }) })
        : args.action === 'rotate'
          ? fetch(`${base}/${encodeURIComponent(args.keyId)}/rotate`, { method: 'POST', headers })
          : fetch(`${base}/${encodeURIComponent(args.keyId)}`, { method: 'DELETE', headers })
  const response = await request
  const body = (await response.json()) as Record<string, unknown>
  if (!response.ok) {
    const error = body.error as { message?: string } | undefined
    throw new CliUsageError(`the API answered ${response.status}: ${error?.message ?? 'no reason given'}`)
  }
  if (args.action === 'list') {
    const keys = body.keys as ListedKey[]
    return keys.length === 0 ? 'no keys' : keys.map(keyLine).join('\n')
  }
  if (args.action === 'revoke') return `revoked ${keyLine(body.key as ListedKey)}`
  const key = body.key as ListedKey
  return [
    keyLine(key),
    '',
    `key: ${String(body.plain)}`,
    'This is the only time the key is shown: keep it in your secret store now.',
  ].join('\n')
}
