#!/usr/bin/env node
// Launcher of the `palisade` command. chDB runs its queries on libuv's thread pool, whose size is
// fixed at its first use: raise it before anything else runs (an operator's own value wins).
process.env.UV_THREADPOOL_SIZE ??= '16'
// Internal packages ship TypeScript source; tsx compiles it on load (no build step to forget).
const { register } = await import('tsx/esm/api')
register()
await import('../src/main.ts')
