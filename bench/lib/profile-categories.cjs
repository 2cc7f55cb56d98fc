'use strict';
// Shares of a .cpuprofile by kind of work (issue 15's "what is left"): each sample goes to the innermost frame of a known kind.
// node lib/profile-categories.cjs file.cpuprofile
const fs = require('node:fs');
const { categorise } = require('./profile-categorise.cjs');
const p = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const cats = [
  ['garbage collector', (f) => f.functionName === '(garbage collector)'],
  ['argument HMAC (createHmac per call)', (f) => /keyedHash|fingerprintCanonical/.test(f.functionName)],
  ['canonical JSON + budget walk (arguments)', (f) => /canonicalWithinBudget|collectKeys/.test(f.functionName)],
  ['result size walk', (f) => /measureJson|sizeNode|jsonStringBytes/.test(f.functionName)],
  ['redaction of arguments (audit) and result scan', (f) => /instrumentation-mcp\/dist\/redaction\.js/.test(f.url) && /json|scan/.test(f.functionName)],
  ['redaction of names/ids (memoised)', (f) => /instrumentation-mcp\/dist\/redaction\.js/.test(f.url)],
  ['audit log record (build + SDK LogRecord)', (f) => /emitAuditRecord/.test(f.functionName) || /sdk-logs/.test(f.url)],
  ['span start/end + attributes (SDK)', (f) => /sdk-trace/.test(f.url)],
  ['duration histograms (SDK)', (f) => /sdk-metrics/.test(f.url)],
  ['trace context in _meta (inject/extract)', (f) => /trace-context\.js|W3CTraceContext|propagation/.test(f.url)],
  ['context manager (AsyncLocalStorage)', (f) => /context-async-hooks|node:async_hooks|async_hooks/.test(f.url)],
  ['mcptrail bookkeeping (wrappers, recorder, descriptions)', (f) => /instrumentation-mcp\/dist/.test(f.url)],
  ['MCP SDK, zod, the tool itself', (f) => /modelcontextprotocol|zod|instrumentation-worker/.test(f.url)],
];
const { totals, total } = categorise(p, cats, 'other (node internals, startup)');
for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${((v / total) * 100).toFixed(1)} % |`);
