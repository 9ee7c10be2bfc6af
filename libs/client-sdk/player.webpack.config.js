// The embeddable player as a browser ES module: dist/libs/client-sdk/player/airlock-player.js,
// with hls.js and shaka's DASH build as chunks loaded only when their format plays (a page
// playing HLS never fetches shaka). Built by `nx run client-sdk:bundle-player`, which the CLI's
// build depends on (the CLI serves it for `airlock receive --play`). Not a `build` target: that
// would make client-sdk a buildable library, and the module-boundaries lint forbids a buildable
// library to import the non-buildable ones it uses.
const { join, resolve } = require('node:path');
const { readFileSync } = require('node:fs');

const root = resolve(__dirname, '../..');

/** The workspace's @airlock/* path aliases, from tsconfig.base.json (the one place they are declared). */
function workspaceAliases() {
  const { paths } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
  return Object.fromEntries(Object.entries(paths).map(([name, [target]]) => [`${name}$`, join(root, target)]));
}

module.exports = {
  mode: 'production',
  target: ['web', 'es2021'],
  context: __dirname,
  entry: { 'airlock-player': './src/player.ts' },
  experiments: { outputModule: true },
  output: {
    path: join(root, 'dist/libs/client-sdk/player'),
    filename: '[name].js',
    chunkFilename: 'airlock-player.[name].[contenthash:8].js',
    library: { type: 'module' },
    publicPath: 'auto',
    clean: true,
  },
  devtool: 'source-map',
  resolve: {
    extensions: ['.ts', '.js'],
    alias: {
      ...workspaceAliases(),
      // Node-only modules re-exported by libraries' index files; nothing the player calls uses them.
      'node:crypto': false,
    },
  },
  module: {
    rules: [
      {
        test: /\.ts$/,
        loader: 'ts-loader',
        options: {
          configFile: join(__dirname, 'tsconfig.lib.json'),
          // Types are checked by the library's tsc and lint; keeping import() as ESM lets webpack split the players out.
          transpileOnly: true,
          compilerOptions: { module: 'esnext', declaration: false },
        },
      },
      // The workspace libraries are side-effect free: what the player does not import is dropped.
      { test: /[\\/]libs[\\/][^\\/]+[\\/]src[\\/]/, sideEffects: false },
    ],
  },
  // One chunk per format (its engine and its library together): nothing is shared worth a third request.
  optimization: { splitChunks: false },
  performance: { hints: false },
};
