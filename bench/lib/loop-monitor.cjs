// Preloaded into `mcptrail serve` by latency.bench.mjs (--require): measures the main thread's
// event-loop delay (perf_hooks.monitorEventLoopDelay), its stalls (timer gaps over 50 ms, with
// their start time on the wall and monotonic clocks), its GC pauses, and from /proc/thread-self/schedstat its time on a CPU and
// its time runnable but waiting for one (the machine's load, not ours). Appends one JSON line per
// phase to the file named by MCPTRAIL_LOOP_MONITOR each time the process gets SIGUSR2 (then
// starts over), and at exit.
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
  // Main thread only: [ns on a CPU, ns runnable in a run queue].
  const sched = () => {
    try {
      return require('node:fs').readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(' ').slice(0, 2).map(Number);
    } catch {
      return [Number.NaN, Number.NaN];
    }
  };
  let sched0 = sched();
  const t0 = () => Date.now();
  let since = t0();
  let last = Date.now();
  // The same instants on the monotonic clock (µs), which is the clock of a --cpu-prof profile's
  // timestamps: lib/profile-stalls.cjs --monitor attributes each stall to the samples inside it.
  const monoUs = () => Number(process.hrtime.bigint() / 1000n);
  let lastUs = monoUs();
  const tick = setInterval(() => {
    const now = Date.now();
    const nowUs = monoUs();
    const gap = now - last - TICK_MS;
    // [wall-clock ms when the stall began, its length in ms, monotonic µs of the tick before and of this one]
    if (gap > 50) stalls.push([last, gap, lastUs, nowUs]);
    last = now;
    lastUs = nowUs;
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
    const sc = sched();
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
        seconds: (Date.now() - since) / 1000,
        // Main thread: on a CPU, and runnable but waiting for one (s).
        mainCpuS: Math.round((sc[0] - sched0[0]) / 1e7) / 100,
        mainRunQueueS: Math.round((sc[1] - sched0[1]) / 1e7) / 100,
        loadAvg: require('node:os').loadavg()[0],
      })}\n`,
    );
    hist.disable();
    hist = monitorEventLoopDelay({ resolution: 5 });
    hist.enable();
    stalls = [];
    gc = { count: 0, ms: 0, maxMs: 0 };
    elu = performance.eventLoopUtilization();
    cpu = process.cpuUsage();
    sched0 = sc;
    since = Date.now();
  };
  process.on('SIGUSR2', () => snapshot('phase'));
  process.on('exit', () => snapshot('exit'));
}
