#!/usr/bin/env -S node --max-semi-space-size=32
// The flag: a larger young generation, since ingest allocates short-lived events fast (a sixth of
// the time went to scavenges with the default); `npm start`, the image and the test launcher pass it too.
// Launcher of the `palisade` command. chDB runs its queries on libuv's thread pool, whose size is
// fixed at its first use: raise it before anything else runs (an operator's own value wins).
process.env.UV_THREADPOOL_SIZE ??= '16'
// Internal packages ship TypeScript source; tsx compiles it on load (no build step to forget).
const { register } = await import('tsx/esm/api')
register()
await import('../src/main.ts')
