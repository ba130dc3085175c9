import type { Finding } from '@palisade/schema'

/** The API's filters of `GET /api/v1/findings` (absent: the API's default). */
export interface FindingFilters {
  from?: string | undefined
  to?: string | undefined
  severity?: string | undefined
  rule?: string | undefined
}

/**
 * Fetch findings from the dashboard API (`GET /api/v1/findings`), newest first, page by page
 * (each page ends where the previous one's oldest finding was; repeats at the boundary drop by
 * id). Yields each page's fresh findings; throws with the API's answer when it refuses.
 */
export async function* findingPages(options: {
  apiUrl: string
  token: string
  filters: FindingFilters
  /** Findings per request (default 5,000, the largest `limit` the API takes). */
  pageSize?: number
}): AsyncGenerator<Finding[]> {
  const pageSize = options.pageSize ?? 5000
  const seen = new Set<string>()
  let to = options.filters.to
  for (;;) {
    const query = new URLSearchParams({ limit: String(pageSize) })
    for (const [name, value] of Object.entries({
      from: options.filters.from ?? '0',
      to,
      severity: options.filters.severity,
      rule: options.filters.rule,
    }))
      if (value !== undefined) query.set(name, value)
    const response = await fetch(`${options.apiUrl}/api/v1/findings?${query}`, {
      headers: { authorization: `Bearer ${options.token}` },
    })
    if (!response.ok) throw new Error(`the API answered ${response.status}: ${await response.text()}`)
    const { findings } = (await response.json()) as { findings: Finding[] }
    const fresh = findings.filter((finding) => !seen.has(finding.finding_id))
    for (const finding of fresh) seen.add(finding.finding_id)
    if (fresh.length > 0) yield fresh
    if (findings.length < pageSize || fresh.length === 0) return
    to = String(findings[findings.length - 1]!.ts)
  }
}
