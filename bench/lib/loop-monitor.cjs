// Preloaded into `mcptrail serve` by latency.bench.mjs (--require): measures the main thread's
// event-loop delay (perf_hooks.monitorEventLoopDelay), its stalls (timer gaps over 50 ms, with
// their start time) and its GC pauses, and appends one JSON line per phase to the file named by
// MCPTRAIL_LOOP_MONITOR each time the process gets SIGUSR2 (then starts over), and at exit.
const { isMainThread } = require('node:worker_threads');
const file = process.env.MCPTRAIL_LOOP_MONITOR;
if (isMainThread && file) {
  const { appendFileSync } = require('node:fs');
  const { monitorEventLoopDelay, performance, PerformanceObserver } = require('node:perf_hooks');
  const TICK_MS = 10;
  let hist = monitorEventLoopDelay({ resolution: 5 });
  hist.enable();
  let stalls = [];
  let gc = { count: 0, ms: 0, maxMs: 0 };
  let elu = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  let last = Date.now();
  const tick = setInterval(() => {
    const now = Date.now();
    const gap = now - last - TICK_MS;
    // [wall-clock ms when the stall began, its length in ms]
    if (gap > 50) stalls.push([last, gap]);
    last = now;
  }, TICK_MS);
  tick.unref();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      if (e.duration > gc.maxMs) gc.maxMs = e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const snapshot = (reason) => {
    const u = performance.eventLoopUtilization(elu);
    const c = process.cpuUsage(cpu);
    appendFileSync(
      file,
      `${JSON.stringify({
        reason,
        // Delay beyond the sampling resolution, ms.
        delay: { n: hist.count, p50: ms(hist.percentile(50)), p90: ms(hist.percentile(90)), p99: ms(hist.percentile(99)), max: ms(hist.max) },
        stalls: stalls.slice(0, 200),
        stallCount: stalls.length,
        stallMs: stalls.reduce((s, x) => s + x[1], 0),
        gc: { count: gc.count, ms: Math.round(gc.ms), maxMs: Math.round(gc.maxMs) },
        utilization: Math.round(u.utilization * 1000) / 1000,
        processCpuS: Math.round((c.user + c.system) / 1e4) / 100,
      })}\n`,
    );
    hist.disable();
    hist = monitorEventLoopDelay({ resolution: 5 });
    hist.enable();
    stalls = [];
    gc = { count: 0, ms: 0, maxMs: 0 };
    elu = performance.eventLoopUtilization();
    cpu = process.cpuUsage();
  };
  process.on('SIGUSR2', () => snapshot('phase'));
  process.on('exit', () => snapshot('exit'));
}
