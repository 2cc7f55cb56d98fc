// Child process for the recovery test: ingests through the real pipeline (built dist/) and
// prints `ack <batch>` after each request's promise resolved, until SIGKILLed. Each batch
// mixes calls that pair at once (span + log), spans whose log never comes (they wait the
// whole pairing window, so at the kill they are acknowledged but not sealed), and log
// records without trace context (sealed at once, with no call-once key to dedup them).
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
const perBatch = Number(perBatchArg || 12);
const store = openSqliteStore({ path: dbPath });
const pipeline = createAuditPipeline({
  store,
  redactor: createRedactor(),
  signer: loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)),
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f)}\n`) },
  pairingWindowMs: 60_000,
  checkpointEvery: { records: 25, seconds: 1 },
});

const id = (s, n) => createHash('sha256').update(s).digest('hex').slice(0, n);
const resource = { attributes: { [C.ATTR_SERVICE_NAME]: 'recovery' } };
const scope = { name: 'test', version: '0' };
const now = () => BigInt(Date.now()) * 1000000n;

function span(b, i) {
  const start = now();
  return {
    resource, scope, traceId: id(`t${b}/${i}`, 32), spanId: id(`s${b}/${i}`, 16), parentSpanId: null,
    name: 'tools/call get_weather', kind: 2, startTimeUnixNano: start, endTimeUnixNano: start + 1000000n,
    attributes: { [C.ATTR_MCP_METHOD_NAME]: 'tools/call', [C.ATTR_GEN_AI_TOOL_NAME]: 'get_weather', [C.ATTR_MCP_SESSION_ID]: `b${b}` },
    events: [], status: { code: 0, message: '' },
  };
}

function log(b, i, keyed) {
  return {
    resource, scope, timeUnixNano: now(), observedTimeUnixNano: 0n, severityNumber: 9, severityText: 'INFO',
    body: null, eventName: C.EVENT_MCP_AUDIT_TOOL_CALL,
    attributes: { [C.ATTR_MCP_METHOD_NAME]: 'tools/call', [C.ATTR_GEN_AI_TOOL_NAME]: 'get_weather', [C.ATTR_MCP_SESSION_ID]: `b${b}`,
      [C.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: JSON.stringify({ k: `${b}/${i}` }) },
    traceId: keyed ? id(`t${b}/${i}`, 32) : null, spanId: keyed ? id(`s${b}/${i}`, 16) : null, flags: keyed ? 1 : 0,
  };
}

/** i % 3: 0 span + log (paired at once), 1 span alone (waits), 2 log without trace context (sealed at once). */
async function main() {
  let batch = 0;
  const worker = async () => {
    for (;;) {
      const b = batch++;
      const spans = [];
      const logs = [];
      for (let i = 0; i < perBatch; i++) {
        if (i % 3 !== 2) spans.push(span(b, i));
        if (i % 3 === 0) logs.push(log(b, i, true));
        if (i % 3 === 2) logs.push(log(b, i, false));
      }
      await Promise.all([
        pipeline.traces({ spans, rejected: 0, rejectReason: null }),
        pipeline.logs({ logs, rejected: 0, rejectReason: null }),
      ]);
      process.stdout.write(`ack ${b}\n`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}
main().catch((err) => {
  process.stderr.write(String(err && err.stack) + '\n');
  process.exit(1);
});
