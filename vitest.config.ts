import { defineConfig } from 'vitest/config'

// The suites that run the core in this process: run a second time against the oldest xstate
// keepsake supports (package.json's peerDependencies floor, installed as `xstate-floor`).
const core = [
  'test/api/**/*.test.ts',
  'test/supervisor/**/*.test.ts',
  'test/keeper/*.test.ts',
  'test/worker/*.test.ts',
  'test/reports/**/*.test.ts',
  'test/stores/MemoryStore.test.ts',
  'test/xstate-floor.test.ts'
]

/** The type tests (test/types/*.test-d.ts), compiled by tsc against the xstate `tsconfig` names. */
function typeTests(name: string, tsconfig: string) {
  return { extends: true as const, test: { name, include: [], typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'], tsconfig } } }
}

export default defineConfig({
  test: {
    testTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'xstate', include: ['test/**/*.test.ts'], exclude: ['test/xstate-floor.test.ts'] } },
      {
        extends: true,
        resolve: { alias: [{ find: /^xstate$/, replacement: 'xstate-floor' }] },
        test: { name: 'xstate-floor', include: core }
      },
      typeTests('types', 'test/types/tsconfig.json'),
      typeTests('types-xstate-floor', 'test/types/tsconfig.floor.json')
    ]
  }
})
