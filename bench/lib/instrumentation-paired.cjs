'use strict';
// Instrumented and plain MCP SDKs of both majors in ONE process, measured in interleaved blocks, so that
// "what mcptrail adds on 2.x" and "on 1.x" are compared under the same JIT, heap and machine load (fresh
// processes per mode vary by ±30 µs per call here, more than the difference being asked about).
// Four client/server pairs: 1.x plain, 1.x instrumented, 2.x plain, 2.x instrumented. Plain pairs use
// never-patched copies of the SDK packages (lib/plain-sdk.cjs). Each round runs one block of `block`
// calls per pair (sequential or `concurrency`-way), in a rotating order, timing CPU (user + system) per block.
// A GC is paid by the block that triggers it, so allocation-heavy pairs pay for their garbage.
// With "major": 1 or 2, only that major's two pairs (one SDK major per process, as in a real server: the bench's
// `--separate yes` compares such processes, so shared code never sees both majors' object shapes).
// Usage: node --expose-gc instrumentation-paired.cjs '{"rounds":200,"block":100,"warmup":4000,"concurrency":64}'
const { installPipeline } = require('./otel-pipeline.cjs');
const { ARGS, connectPair } = require('./mcp-pair.cjs');
const { ensurePlainCopies, loadSdk } = require('./plain-sdk.cjs');

const opts = JSON.parse(process.argv[2] ?? '{}');
const { rounds = 200, block = 100, warmup = 4000, concurrency = 64, exporter = 'counting', major } = opts;
const MAJORS = major === 1 || major === 2 ? [major] : [1, 2];

const pipeline = installPipeline(exporter);
ensurePlainCopies();
// Plain copies first: required before the instrumentation is enabled, and at paths it never patches.
const plain = Object.fromEntries(MAJORS.map((m) => [m, loadSdk(m, true)]));
const { McpInstrumentation } = require('@mcptrail/instrumentation-mcp');
const instrumentation = new McpInstrumentation({ enabled: false });
instrumentation.setTracerProvider(pipeline.tracerProvider);
instrumentation.setLoggerProvider(pipeline.loggerProvider);
instrumentation.enable();
const instrumented = Object.fromEntries(MAJORS.map((m) => [m, loadSdk(m, false)]));
const { z } = require('zod');

const PAIRS = MAJORS.flatMap((m) => [`v${m}-plain`, `v${m}-mcptrail`]);

async function main() {
  const clients = {};
  for (const name of PAIRS) {
    const major = name.startsWith('v2') ? 2 : 1;
    const sdk = name.endsWith('plain') ? plain[major] : instrumented[major];
    clients[name] = (await connectPair(sdk, z, { v2: major === 2 })).client;
  }
  const call = (client) => client.callTool({ name: 'lookup_order', arguments: ARGS });
  const phases = {
    sequential: async (client, n) => {
      for (let i = 0; i < n; i++) await call(client);
    },
    concurrent: async (client, n) => {
      for (let done = 0; done < n; done += concurrency) {
        const batch = [];
        for (let j = 0; j < concurrency && done + j < n; j++) batch.push(call(client));
        await Promise.all(batch);
      }
    },
  };
  // Warm every pair up in the same interleaved pattern as the measurement.
  for (let done = 0; done < warmup; done += block) {
    for (const name of PAIRS) {
      await phases.sequential(clients[name], block);
      await phases.concurrent(clients[name], block);
    }
  }
  // The comparison is only meaningful if plain pairs emit nothing and instrumented ones the full record.
  for (const name of PAIRS) {
    await pipeline.flush();
    pipeline.resetExported();
    await call(clients[name]);
    await pipeline.flush();
    const { spans, logs } = pipeline.exported();
    const want = name.endsWith('plain') ? [0, 0] : [2, 1];
    if (spans !== want[0] || logs !== want[1]) throw new Error(`${name}: one call exported ${spans} spans and ${logs} logs, expected ${want}`);
  }
  pipeline.resetExported();
  const result = { opts: { rounds, block, warmup, concurrency, exporter, majors: MAJORS }, blocks: {} };
  for (const phase of Object.keys(phases)) {
    const us = Object.fromEntries(PAIRS.map((p) => [p, []]));
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < PAIRS.length; i++) {
        const name = PAIRS[(i + round) % PAIRS.length];
        const cpu0 = process.cpuUsage();
        await phases[phase](clients[name], block);
        const cpu = process.cpuUsage(cpu0);
        us[name].push((cpu.user + cpu.system) / block);
      }
    }
    result.blocks[phase] = us;
  }
  await pipeline.flush();
  const got = pipeline.exported();
  // Only the two instrumented pairs emit: 2 spans + 1 audit record per call each.
  const calls = MAJORS.length * 2 * rounds * block;
  result.spansPerInstrumentedCall = got.spans / calls;
  result.logsPerInstrumentedCall = got.logs / calls;
  result.dropWarnings = pipeline.dropWarnings();
  for (const name of PAIRS) await clients[name].close();
  await pipeline.tracerProvider.shutdown();
  await pipeline.loggerProvider.shutdown();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
