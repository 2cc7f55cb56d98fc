#!/usr/bin/env node
// The `mcptrail` command. Committed (not built) so npm links it at install time, before
// `dist/` exists; it runs the compiled CLI, or says how to build it.
'use strict';
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
let main;
try {
  ({ main } = require(cli));
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(cli)) {
    process.stderr.write(
      'mcptrail: the processor is not built (no dist/cli/main.js). In the repository run `npm run build`; ' +
        'an installed package always ships it, so reinstall it.\n',
    );
    process.exit(1);
  }
  throw error;
}
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`mcptrail: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
