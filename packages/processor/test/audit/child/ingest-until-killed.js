// Child process for the durability test: ingests through the real pipeline (built dist/)
// and prints `ack <batch>` on stdout after each batch's promise resolved, until SIGKILLed.
'use strict';
const { createHash } = require('node:crypto');
const path = require('node:path');
const dist = path.join(__dirname, '..', '..', '..', 'dist');
const { openSqliteStore } = require(path.join(dist, 'store', 'sqlite.js'));
const { createAuditPipeline } = require(path.join(dist, 'audit', 'pipeline.js'));
const { loadOrCreateSigningKey, defaultSigningKeyPath } = require(path.join(dist, 'chain', 'signing.js'));
const { createRedactor } = require('@mcptrail/redact');
const C = require('@mcptrail/conventions');

const [dbPath, perBatchArg] = process.argv.slice(2);
const perBatch = Number(perBatchArg || 20);
const store = openSqliteStore({ path: dbPath });
const pipeline = createAuditPipeline({
  store,
  redactor: createRedactor(),
  signer: loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)),
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f)}\n`) },
  // Long enough that a loaded machine does not seal a span alone before its log record is appended.
  pairingWindowMs: 2000,
  checkpointEvery: { records: 50, seconds: 1 },
});

const id = (s, n) => createHash('sha256').update(s).digest('hex').slice(0, n);
const resource = { attributes: { [C.ATTR_SERVICE_NAME]: 'durability' } };
const scope = { name: 'test', version: '0' };

function span(batch, i) {
  const start = BigInt(Date.now()) * 1000000n;
  return {
    resource, scope,
    traceId: id(`t${batch}/${i}`, 32), spanId: id(`s${batch}/${i}`, 16), parentSpanId: null,
    name: 'tools/call get_weather', kind: 2, startTimeUnixNano: start, endTimeUnixNano: start + 1000000n,
    attributes: { [C.ATTR_MCP_METHOD_NAME]: 'tools/call', [C.ATTR_GEN_AI_TOOL_NAME]: 'get_weather', [C.ATTR_MCP_SESSION_ID]: `b${batch}` },
    events: [], status: { code: 0, message: '' },
  };
}

function log(batch, i) {
  return {
    resource, scope, timeUnixNano: BigInt(Date.now()) * 1000000n, observedTimeUnixNano: 0n, severityNumber: 9, severityText: 'INFO',
    body: null, eventName: C.EVENT_MCP_AUDIT_TOOL_CALL,
    attributes: { [C.ATTR_MCP_METHOD_NAME]: 'tools/call', [C.ATTR_GEN_AI_TOOL_NAME]: 'get_weather', [C.ATTR_MCP_SESSION_ID]: `b${batch}`,
      [C.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: JSON.stringify({ city: 'Paris', i }) },
    traceId: id(`t${batch}/${i}`, 32), spanId: id(`s${batch}/${i}`, 16), flags: 1,
  };
}

async function main() {
  // Several batches in flight at once, as concurrent exporter requests would be.
  let batch = 0;
  const worker = async () => {
    for (;;) {
      const b = batch++;
      const spans = [];
      const logs = [];
      for (let i = 0; i < perBatch; i++) {
        spans.push(span(b, i));
        // Half the calls also send their audit log record (paired), the rest stay span-only.
        if (i % 2 === 0) logs.push(log(b, i));
      }
      await pipeline.traces({ spans, rejected: 0, rejectReason: null });
      await pipeline.logs({ logs, rejected: 0, rejectReason: null });
      process.stdout.write(`ack ${b}\n`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}
main().catch((err) => {
  process.stderr.write(String(err && err.stack) + '\n');
  process.exit(1);
});
