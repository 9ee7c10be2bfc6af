module.exports = {
  displayName: 'orchestrator',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  // Integration specs (*.int.spec.ts) run real flows on Redis and Postgres.
  testTimeout: 30_000,
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/orchestrator',
};
