/**
 * Where `nx run client-sdk:bundle-player` writes the browser bundle, relative to the workspace
 * root (player.webpack.config.js), and the module a page imports from it. The other files in
 * the directory are the chunks it loads itself.
 */
export const PLAYER_BUNDLE_DIR = 'dist/libs/client-sdk/player';
export const PLAYER_BUNDLE_ENTRY = 'airlock-player.js';
