import { relative } from 'node:path'
import { parseArgs } from 'node:util'
import { formatDeclarationProblem, readSloDeclarations } from '@palisade/declarations'
import { CliUsageError } from './cli-args.ts'
import type { CommandOutcome } from './rules-command.ts'

/** Arguments of `palisade slo lint`. */
export interface SloArgs {
  action: 'lint'
  /** The folder of OpenSLO files (default `<alerts>/slos`). */
  sloDir: string
}

/** Pure: parse `slo` arguments; the folder defaults to `defaultDir`. */
export function parseSloArgs(argv: string[], defaultDir: string): SloArgs {
  let parsed: ReturnType<typeof parseSloOptions>
  try {
    parsed = parseSloOptions(argv)
  } catch (error) {
    throw new CliUsageError((error as Error).message)
  }
  const [action, ...rest] = parsed.positionals
  if (action !== 'lint' || rest.length > 0)
    throw new CliUsageError('usage: palisade slo lint [--dir alerts/slos]')
  return { action, sloDir: parsed.values.dir ?? defaultDir }
}

function parseSloOptions(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: { dir: { type: 'string' } } })
}

/**
 * `palisade slo lint`: read the SLO folder as the start-up loader does (every OpenSLO kind, references
 * across files) and print each problem as `file:line: what`, exit 1; or what was read, exit 0.
 */
export async function runSloCommand(args: SloArgs, cwd = process.cwd()): Promise<CommandOutcome> {
  const { slos, problems } = await readSloDeclarations(args.sloDir)
  if (problems.length > 0 || !slos) {
    const lines = problems.map((problem) =>
      formatDeclarationProblem({ ...problem, file: relative(cwd, problem.file) }),
    )
    return {
      output: `${lines.join('\n')}\n\n${problems.length} problem(s) in ${relative(cwd, args.sloDir) || '.'}`,
      exitCode: 1,
    }
  }
  const withPolicies = slos.filter((slo) => slo.tiers !== undefined).length
  return {
    output: `${slos.length} SLOs lint clean (${withPolicies} with their own alert policies, ${slos.length - withPolicies} on the default burn-rate tiers)`,
    exitCode: 0,
  }
}
