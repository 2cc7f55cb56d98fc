'use strict';
// Micro-runs behind issue 15's design: the OTel JS 2.x attribute-count step (span, log record) and the
// cost of the argument HMAC three ways. node lib/instrumentation-micro.cjs
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { LoggerProvider } = require('@opentelemetry/sdk-logs');
const tp = new BasicTracerProvider({ spanProcessors: [{ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} }] });
const tracer = tp.getTracer('x');
const lp = new LoggerProvider({ processors: [{ onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} }] });
const logger = lp.getLogger('x');
for (const n of [14, 16, 17, 18, 19, 20, 21, 23, 28]) {
  const keys = Array.from({ length: n }, (_, i) => `mcp.attr.number_${i}`);
  const mk = () => { const a = {}; for (const k of keys) a[k] = 'v'; return a; };
  const run = (f, iters) => { const c0 = process.cpuUsage(); for (let i = 0; i < iters; i++) f(); const c = process.cpuUsage(c0); return (c.user + c.system) / iters; };
  const sp = () => { const s = tracer.startSpan('n', { attributes: mk() }); s.end(); };
  const lg = () => logger.emit({ body: 'b', attributes: mk() });
  run(sp, 20000); run(lg, 20000);
  console.log(n, 'span', run(sp, 50000).toFixed(2), 'log', run(lg, 50000).toFixed(2));
}

{
const { createHmac, createHash, createSecretKey, randomBytes } = require('node:crypto');
const key = randomBytes(32);
const ko = createSecretKey(key);
const data = '{"customer":{"email":"jane.doe@example.com","tier":"gold"},"include":["items","shipping"],"limit":10,"orderId":"A-1042"}';
const ipad = Buffer.alloc(64, 0x36), opad = Buffer.alloc(64, 0x5c);
for (let i = 0; i < key.length; i++) { ipad[i] ^= key[i]; opad[i] ^= key[i]; }
const inner0 = createHash('sha256').update(ipad), outer0 = createHash('sha256').update(opad);
const viaCopy = (d) => outer0.copy().update(inner0.copy().update(d, 'utf8').digest()).digest('hex');
const a = createHmac('sha256', key).update(data).digest('hex');
if (viaCopy(data) !== a) throw new Error('mismatch');
const run = (name, f, n = 200000) => { for (let i = 0; i < 20000; i++) f(); const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const c = process.cpuUsage(c0); console.log(name, ((c.user + c.system) / n).toFixed(2), 'µs'); };
run('createHmac(buffer key)', () => createHmac('sha256', key).update(data, 'utf8').digest('hex'));
run('createHmac(KeyObject)', () => createHmac('sha256', ko).update(data, 'utf8').digest('hex'));
run('precomputed pads + hash.copy()', () => viaCopy(data));
}
