// `node --require @mcptrail/register server.js`
//
// Hands this package's `require` to the instrumentation's start-up, so it loads the OpenTelemetry
// SDK line pinned here (2.x) even if the application has another line at the top of node_modules,
// then runs the instrumentation's `register`. Never throws into the host.
'use strict';
globalThis[Symbol.for('mcptrail.register.sdk-require')] = require;
require('@mcptrail/instrumentation-mcp/register');
