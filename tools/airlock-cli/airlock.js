#!/usr/bin/env node
// Resolves the repository from this file's real location, then runs the built CLI.
const { existsSync, realpathSync } = require('node:fs');
const { join, dirname } = require('node:path');

const root = dirname(dirname(dirname(realpathSync(__filename))));
const entry = join(root, 'dist/apps/cli/main.js');
if (!existsSync(entry)) {
  process.stderr.write('airlock: the CLI is not built yet; run `npx nx run-many -t build` first.\n');
  process.exit(1);
}
require(entry);
