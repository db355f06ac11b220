// Mutation testing of the core (npm run mutate): on demand, not in CI (it takes hours on two
// cores). Scoped to the layers that make keepsake's promises; the cluster, inspector, telemetry
// and isolation hosts have their own attack suites. Score and survivors: bench/RESULTS.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/api/**/*.ts',
    'src/supervisor/**/*.ts',
    'src/worker/*.ts',
    'src/keeper/**/*.ts',
    'src/stores/**/*.ts',
    '!src/**/*.d.ts'
  ],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp'
}
