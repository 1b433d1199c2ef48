// `npm run test:slow`: the exhaustive suites kept out of the default run (every attack on every photo, long videos).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.slow.test.ts'],
    testTimeout: 1_200_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
