import { fileURLToPath } from 'node:url'

/** The repository's `sql/` folder, where the numbered migrations live. */
export const migrationsDir = fileURLToPath(new URL('../../../sql', import.meta.url))
