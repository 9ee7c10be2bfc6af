module.exports = {
  displayName: 'e2e',
  preset: '../jest.preset.js',
  testEnvironment: 'node',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e.spec.ts'],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  // Real services, real ffmpeg, a real browser: minutes, not seconds.
  testTimeout: 600_000,
};
