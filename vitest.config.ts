import { defineConfig } from 'vitest/config';

// CI reads the JSON report to print its closing "N passed, N failed" line.
const reporters = process.env['CI']
  ? ['default', ['json', { outputFile: '.ci/test-report.json' }]]
  : ['default'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: reporters as never,
  },
});
