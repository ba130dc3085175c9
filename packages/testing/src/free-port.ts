import { createServer } from 'node:net'
import { TestHarnessError } from './errors.ts'

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). Another process may take
 * it before the caller binds it; callers that spawn servers retry on "address in use".
 */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string')
    throw new TestHarnessError('HARNESS_REQUEST_FAILED', 'no TCP address from listen(0)')
  return address.port
}
