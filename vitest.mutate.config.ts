import { defineConfig } from 'vitest/config'

// The suites that exercise the core in this process (so Stryker can map each mutant to the
// tests that reach it); suites that run the core in other processes or over a network add time
// but no per-test coverage.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [
      'test/cluster/**',
      'test/inspector/**',
      'test/build/**',
      'test/examples/**',
      'test/worker/isolated/**',
      'test/telemetry/**'
    ],
    testTimeout: 20_000
  }
})
