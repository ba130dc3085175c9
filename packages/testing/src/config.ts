/**
 * The environment the test helpers run in, read in this one place: the processes they start (the
 * `palisade` launcher, `go install`) inherit it (PATH, HOME, XDG_CACHE_HOME, proxies) with their
 * own variables on top, and the OPA build cache and Go toolchain are found through it.
 */
export function testEnvironment(): NodeJS.ProcessEnv {
  return process.env
}
