import type { OktaDevice, OktaEvent, OktaNetwork } from './okta-system-log-records.ts'
import type { ScenarioRecorder } from './scenario-recorder.ts'
import type { SeededRandom } from './seeded-random.ts'

/** An employee as Okta knows them. */
export interface Person {
  login: string
  displayName: string
  oktaId: string
  home: OktaNetwork
  device: OktaDevice
  /** Works from the office most days. */
  officeGoer: boolean
}

const firstNames = [
  'amara',
  'bjorn',
  'carla',
  'dmitri',
  'elif',
  'femi',
  'greta',
  'hiro',
  'ines',
  'jonas',
  'kaveh',
  'lena',
  'mateo',
  'nadia',
  'oskar',
  'paula',
  'quentin',
  'rosa',
  'samir',
  'tove',
  'ugo',
  'vera',
  'wen',
  'ximena',
  'yusuf',
  'zofia',
  'anton',
  'beatriz',
  'chidi',
  'dalia',
  'emil',
  'farah',
  'goran',
  'hana',
  'ivo',
  'julia',
  'kenji',
  'lucia',
  'marco',
  'priya',
  'sofia',
]
const lastNames = [
  'okafor',
  'lund',
  'mendes',
  'ivanov',
  'yilmaz',
  'adeyemi',
  'berg',
  'tanaka',
  'costa',
  'weber',
  'rahimi',
  'novak',
  'garcia',
  'haddad',
  'nilsson',
  'ferreira',
  'martin',
  'silva',
  'khan',
  'holm',
  'bianchi',
  'kovacs',
  'li',
  'ramos',
  'demir',
  'wojcik',
  'meyer',
  'santos',
  'eze',
  'cohen',
  'larsen',
  'aziz',
  'petrovic',
  'sato',
  'horvat',
  'schmidt',
  'mori',
  'romero',
  'rossi',
  'natarajan',
  'lindqvist',
]

/** The office egress, the corporate VPN (declared in intent as corporate egress). */
export const officeNetwork = (last: number): OktaNetwork => ({
  ip: `192.0.2.${last}`,
  city: 'Lisbon',
  state: 'Lisbon',
  country: 'Portugal',
  postalCode: '1050-001',
  lat: 38.7223,
  lon: -9.1393,
  asNumber: 64501,
  asOrg: 'northwind corp',
  isp: 'northwind',
  domain: 'northwind.example',
  isProxy: false,
})

/** The corporate VPN's egress; its POP decides where Okta's geo database places it. */
export const vpnNetwork = (pop: 'Frankfurt' | 'Singapore'): OktaNetwork => ({
  ip: pop === 'Frankfurt' ? '198.51.100.23' : '198.51.100.87',
  city: pop,
  state: pop === 'Frankfurt' ? 'Hesse' : 'Singapore',
  country: pop === 'Frankfurt' ? 'Germany' : 'Singapore',
  postalCode: pop === 'Frankfurt' ? '60311' : '018956',
  lat: pop === 'Frankfurt' ? 50.1109 : 1.2897,
  lon: pop === 'Frankfurt' ? 8.6821 : 103.8501,
  asNumber: 64501,
  asOrg: 'northwind corp',
  isp: 'northwind',
  domain: 'northwind.example',
  isProxy: false,
})

const homes: Omit<OktaNetwork, 'ip'>[] = [
  {
    city: 'Lisbon',
    state: 'Lisbon',
    country: 'Portugal',
    postalCode: '1000-001',
    lat: 38.74,
    lon: -9.15,
    asNumber: 3243,
    asOrg: 'meo',
    isp: 'meo residential',
    domain: 'telepac.pt',
    isProxy: false,
  },
  {
    city: 'Porto',
    state: 'Porto',
    country: 'Portugal',
    postalCode: '4000-001',
    lat: 41.15,
    lon: -8.61,
    asNumber: 2860,
    asOrg: 'nos comunicacoes',
    isp: 'nos',
    domain: 'nos.pt',
    isProxy: false,
  },
  {
    city: 'Stockholm',
    state: 'Stockholm County',
    country: 'Sweden',
    postalCode: '111 20',
    lat: 59.33,
    lon: 18.06,
    asNumber: 3301,
    asOrg: 'telia company',
    isp: 'telia',
    domain: 'telia.com',
    isProxy: false,
  },
  {
    city: 'London',
    state: 'England',
    country: 'United Kingdom',
    postalCode: 'EC1A',
    lat: 51.51,
    lon: -0.09,
    asNumber: 2856,
    asOrg: 'british telecommunications',
    isp: 'bt',
    domain: 'bt.com',
    isProxy: false,
  },
]
const homePrefixes = ['85.240.17', '2.80.141', '89.160.20', '81.2.69']

const browsers: Omit<OktaDevice, 'fingerprint'>[] = [
  {
    rawUserAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    browser: 'CHROME',
    os: 'Mac OS X',
    device: 'Computer',
  },
  {
    rawUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    browser: 'FIREFOX',
    os: 'Windows 10',
    device: 'Computer',
  },
  {
    rawUserAgent:
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    browser: 'CHROME',
    os: 'Linux',
    device: 'Computer',
  },
]

/** The company's people (40 by default), the administrators first. */
export function buildPeople(random: SeededRandom): Person[] {
  const people: Person[] = []
  const add = (login: string, displayName: string, index: number) => {
    const home = homes[index % homes.length]!
    people.push({
      login,
      displayName,
      oktaId: `00u${random.hex(17)}`,
      home: { ...home, ip: `${homePrefixes[index % homes.length]}.${10 + ((index * 37) % 230)}` },
      device: { ...browsers[index % browsers.length]!, fingerprint: random.hex(32) },
      officeGoer: index % 3 !== 0,
    })
  }
  add('it-admin@northwind.example', 'IT Administrator', 0)
  add('ops-breakglass@northwind.example', 'Break Glass', 1)
  for (let i = 0; i < 40; i++) {
    const first = firstNames[i % firstNames.length]!
    const last = lastNames[(i * 7) % lastNames.length]!
    add(
      `${first}.${last}@northwind.example`,
      `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`,
      i + 2,
    )
  }
  // Named in the last day's events.
  const named = [
    ['priya.natarajan@northwind.example', 'Priya Natarajan'],
    ['marco.rossi@northwind.example', 'Marco Rossi'],
    ['sofia.lindqvist@northwind.example', 'Sofia Lindqvist'],
  ]
  named.forEach(([login, name], index) => {
    if (!people.some((person) => person.login === login)) add(login!, name!, 50 + index)
  })
  const sofia = people.find((person) => person.login === 'sofia.lindqvist@northwind.example')!
  sofia.home = { ...homes[2]!, ip: '89.160.20.112' }
  return people
}

/** Okta applications people sign into through SSO. */
const apps = [
  'Slack',
  'Grafana',
  'GitHub Enterprise',
  'Jira Cloud',
  'AWS IAM Identity Center',
  'Google Workspace',
]

const quiet = {
  'New Geo-Location': 'NEGATIVE',
  'New Device': 'NEGATIVE',
  'New IP': 'NEGATIVE',
  'New State': 'NEGATIVE',
  'New Country': 'NEGATIVE',
  Velocity: 'NEGATIVE',
  'New City': 'NEGATIVE',
} as const

/** Builds the Okta events of a person's actions. */
export class OktaActivity {
  constructor(
    private readonly recorder: ScenarioRecorder,
    private readonly random: SeededRandom,
  ) {}

  private event(
    ms: number,
    person: Pick<Person, 'login' | 'displayName' | 'oktaId'>,
    network: OktaNetwork,
    device: OktaDevice,
    session: string,
    fields: Pick<OktaEvent, 'eventType' | 'displayMessage' | 'result'> & Partial<OktaEvent>,
  ): void {
    this.recorder.okta({
      ms,
      uuid: this.random.uuid(),
      legacyEventType: null,
      reason: null,
      severity: 'INFO',
      actor: { id: person.oktaId, alternateId: person.login, displayName: person.displayName, type: 'User' },
      network,
      device,
      sessionId: session,
      requestId: this.random.hex(27).replace(/^./, 'X'),
      requestUri: '/idp/idx/identify',
      ...fields,
    })
  }

  /** A password attempt that fails (wrong password, or locked out). */
  failedPassword(
    ms: number,
    person: Pick<Person, 'login' | 'displayName' | 'oktaId'>,
    network: OktaNetwork,
    device: OktaDevice,
    reason = 'INVALID_CREDENTIALS',
  ): void {
    this.event(ms, person, network, device, 'unknown', {
      eventType: 'user.session.start',
      displayMessage: 'User login to Okta',
      legacyEventType:
        reason === 'LOCKED_OUT' ? 'core.user_auth.account_locked' : 'core.user_auth.login_failed',
      result: 'FAILURE',
      reason,
      severity: 'WARN',
      credentialType: 'PASSWORD',
      requestUri: '/idp/idx/challenge/answer',
    })
  }

  /** A sign-in attempt for a login Okta does not know. */
  unknownUser(ms: number, login: string, network: OktaNetwork, device: OktaDevice): void {
    this.event(ms, { login, displayName: 'unknown', oktaId: 'unknown' }, network, device, 'unknown', {
      eventType: 'user.session.start',
      displayMessage: 'User login to Okta',
      legacyEventType: 'core.user_auth.login_failed',
      result: 'FAILURE',
      reason: 'VERIFICATION_ERROR',
      severity: 'WARN',
      requestUri: '/idp/idx/identify',
    })
  }

  /** Okta locking the account after too many failures. */
  lockout(ms: number, person: Person, network: OktaNetwork, device: OktaDevice): void {
    this.event(ms, person, network, device, 'unknown', {
      eventType: 'user.account.lock',
      displayMessage: 'Max sign in attempts exceeded',
      legacyEventType: 'core.user_auth.account_locked',
      result: 'SUCCESS',
      severity: 'WARN',
    })
  }

  /** A push the user rejected (or that timed out). */
  rejectedPush(ms: number, person: Person, network: OktaNetwork, device: OktaDevice, session: string): void {
    this.event(ms, person, network, device, session, {
      eventType: 'user.mfa.okta_verify.deny_push',
      displayMessage: 'User rejected Okta push verify',
      result: 'SUCCESS',
      severity: 'WARN',
    })
    this.event(ms + 40, person, network, device, session, {
      eventType: 'user.authentication.auth_via_mfa',
      displayMessage: 'Authentication of user via MFA',
      result: 'FAILURE',
      reason: 'User rejected Okta push verify',
      severity: 'WARN',
      factor: 'OKTA_VERIFY_PUSH',
      credentialType: 'OTP',
      requestUri: '/idp/idx/authenticators/poll',
    })
  }

  /**
   * A sign-in: the password step, the sign-on policy, the push, the session, then `apps` SSO
   * hand-offs spread over `spreadMs`. Returns the session id.
   */
  signIn(
    ms: number,
    person: Person,
    network: OktaNetwork,
    options: {
      apps?: number
      spreadMs?: number
      behaviors?: Partial<Record<keyof typeof quiet, 'POSITIVE' | 'NEGATIVE'>>
      risk?: 'LOW' | 'MEDIUM' | 'HIGH'
      device?: OktaDevice
      pushes?: boolean
    } = {},
  ): string {
    const device = options.device ?? person.device
    const session = `102${this.random.hex(22)}`
    const behaviors = { ...quiet, ...(options.behaviors ?? {}) }
    const risk = options.risk ?? 'LOW'
    this.event(ms, person, network, device, session, {
      eventType: 'policy.evaluate_sign_on',
      displayMessage: 'Evaluation of sign-on policy',
      result: 'CHALLENGE',
      behaviors,
      risk,
      requestUri: '/idp/idx/identify',
    })
    let at = ms + this.random.int(4_000, 20_000)
    if (options.pushes !== false) {
      this.event(at, person, network, device, session, {
        eventType: 'user.authentication.auth_via_mfa',
        displayMessage: 'Authentication of user via MFA',
        result: 'SUCCESS',
        factor: 'OKTA_VERIFY_PUSH',
        credentialType: 'OTP',
        behaviors,
        risk,
        requestUri: '/idp/idx/authenticators/poll',
      })
      at += this.random.int(300, 2000)
    }
    this.event(at, person, network, device, session, {
      eventType: 'user.session.start',
      displayMessage: 'User login to Okta',
      legacyEventType: 'core.user_auth.login_success',
      result: 'SUCCESS',
      credentialType: 'PASSWORD',
      behaviors,
      risk,
      requestUri: '/idp/idx/challenge/answer',
    })
    const count = options.apps ?? this.random.int(1, 3)
    for (let i = 0; i < count; i++)
      this.sso(at + this.random.int(2_000, options.spreadMs ?? 3_600_000), person, network, device, session)
    return session
  }

  /** An SSO hand-off into an application of an existing session. */
  sso(
    ms: number,
    person: Person,
    network: OktaNetwork,
    device: OktaDevice,
    session: string,
    app?: string,
  ): void {
    const name = app ?? this.random.pick(apps)
    this.event(ms, person, network, device, session, {
      eventType: 'user.authentication.sso',
      displayMessage: 'User single sign on to app',
      legacyEventType: 'app.auth.sso',
      result: 'SUCCESS',
      requestUri: `/app/${name.toLowerCase().replace(/\s+/g, '')}/sso/saml`,
      target: [
        { id: `0oa${this.random.hex(17)}`, type: 'AppInstance', alternateId: name, displayName: name },
      ],
    })
  }

  signOut(ms: number, person: Person, network: OktaNetwork, session: string): void {
    this.event(ms, person, network, person.device, session, {
      eventType: 'user.session.end',
      displayMessage: 'User logout from Okta',
      legacyEventType: 'core.user_auth.logout_success',
      result: 'SUCCESS',
      requestUri: '/login/signout',
    })
  }

  /** An OAuth client-credentials token for a service application. */
  serviceToken(ms: number, client: string, clientId: string, network: OktaNetwork): void {
    this.recorder.okta({
      ms,
      uuid: this.random.uuid(),
      eventType: 'app.oauth2.as.token.grant.access_token',
      displayMessage: 'OAuth2 access token is granted',
      legacyEventType: null,
      result: 'SUCCESS',
      reason: null,
      severity: 'INFO',
      actor: { id: clientId, alternateId: client, displayName: client, type: 'PublicClientApp' },
      network,
      device: {
        rawUserAgent: 'okhttp/4.12.0',
        browser: 'UNKNOWN',
        os: 'Unknown',
        device: 'Unknown',
        fingerprint: 'none',
      },
      sessionId: 'unknown',
      requestId: this.random.hex(27),
      requestUri: '/oauth2/aus1a2b3c4d5e6f7g8h9/v1/token',
      target: [
        {
          id: `AT.${this.random.hex(24)}`,
          type: 'access_token',
          alternateId: 'access_token',
          displayName: 'Access Token',
        },
      ],
    })
  }
}
