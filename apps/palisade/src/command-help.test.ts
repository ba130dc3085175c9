import { describe, expect, it } from 'vitest'
import { commandHelp, helpAsked } from './command-help.ts'

describe('helpAsked', () => {
  it('answers --help (or -h) of every command with its usage, wherever it stands before --', () => {
    for (const command of Object.keys(commandHelp)) {
      expect(helpAsked([command, '--help']), command).toBe(command)
      expect(commandHelp[command], command).toMatch(new RegExp(`^usage: palisade ${command}\\b`))
    }
    expect(helpAsked(['replay', 'flow', 'file.log', '-h'])).toBe('replay')
    expect(helpAsked(['replay', 'flow', '--', '--help'])).toBeUndefined()
  })

  it('lists the commands for help, --help and nothing; help <command> shows that command', () => {
    expect(helpAsked([])).toBe('commands')
    expect(helpAsked(['help'])).toBe('commands')
    expect(helpAsked(['--help'])).toBe('commands')
    expect(helpAsked(['help', 'migrate'])).toBe('migrate')
    expect(helpAsked(['help', '--help'])).toBe('help')
  })

  it('leaves every other command line to run', () => {
    expect(helpAsked(['start'])).toBeUndefined()
    expect(helpAsked(['migrate'])).toBeUndefined()
    expect(helpAsked(['bogus', '--help'])).toBeUndefined()
  })
})
