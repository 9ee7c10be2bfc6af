module.exports = {
  displayName: 'gpu-worker',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/gpu-worker',
  // Integration specs download from s3rver and run real ffmpeg/packager processes.
  testTimeout: 120000,
};
