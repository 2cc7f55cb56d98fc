'use strict';
// What a main thread did in its long event-loop turns, from a --cpu-prof profile.
//   node lib/profile-stalls.cjs PROFILE [minMs=50] [frames=8] [--monitor LOOP.jsonl]
// With --monitor (the loop monitor's phases, which latency.bench.mjs --profile-dir keeps beside the
// profiles): each stall the monitor measured (a gap between two of its 10 ms ticks, on the
// profile's monotonic clock) is reported with the samples inside it. Without it, a turn is a run
// of samples with no "(idle)" sample in between: two turns back to back without an idle sample
// (setImmediate chains, a busy poll phase) then read as one, which is why each turn is also split
// into the callbacks it ran (the frame under "(root)": processImmediate, listOnTimeout,
// onStreamRead, "(garbage collector)"…), in order, with their times. Few samples with long
// intervals between them mean the thread was off a core (blocked in a system call or runnable
// behind other processes), not computing.
const fs = require('node:fs');
const args = process.argv.slice(2);
const monitorAt = args.indexOf('--monitor');
const monitorFile = monitorAt >= 0 ? args.splice(monitorAt, 2)[1] : null;
const profile = JSON.parse(fs.readFileSync(args[0], 'utf8'));
const minMs = Number(args[1] ?? 50);
const frames = Number(args[2] ?? 8);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const rootId = profile.nodes.find((n) => !parent.has(n.id)).id;
const where = (n) => n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/packages\//, '');
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`;
const idle = (id) => byId.get(id).callFrame.functionName === '(idle)';
/** The callback a sample is inside: its frame right under (root). */
const entry = (id) => {
  let c = id;
  while (parent.get(c) !== undefined && parent.get(c) !== rootId) c = parent.get(c);
  return byId.get(c).callFrame.functionName || '(anonymous)';
};

// Samples as [t (µs, end of the interval), dt, id].
const samples = [];
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  samples.push([t, dt, profile.samples[i]]);
}

function report(title, picked) {
  const inclusive = new Map();
  const self = new Map();
  const sequence = [];
  let busy = 0;
  let longestDt = 0;
  for (const [, dt, id] of picked) {
    longestDt = Math.max(longestDt, dt);
    if (idle(id)) {
      if (sequence.at(-1)?.[0] !== '(idle)') sequence.push(['(idle)', 0]);
      sequence.at(-1)[1] += dt;
      continue;
    }
    busy += dt;
    const e = entry(id);
    if (sequence.at(-1)?.[0] !== e) sequence.push([e, 0]);
    sequence.at(-1)[1] += dt;
    const k = label(byId.get(id));
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set();
    for (let c = id; c !== undefined; c = parent.get(c)) {
      const key = label(byId.get(c));
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const ms = (us) => (us / 1000).toFixed(0);
  const top = (m) => [...m].filter(([k]) => !k.startsWith('(root)')).sort((a, b) => b[1] - a[1]).slice(0, frames).map(([k, v]) => `    ${ms(v).padStart(5)} ms  ${k}`).join('\n');
  const steps = sequence.filter(([, v]) => v >= 1000).map(([k, v]) => `${k} ${ms(v)}`).join(' → ');
  // The sampler interrupts a running thread every ~1 ms: a longer interval between two samples is
  // time the thread did not run JS or native code (a blocking system call such as fsync or the
  // busy handler's sleep, or waiting in the run queue for a core).
  console.log(`\n${title}; sampled outside (idle): ${ms(busy)} ms in ${picked.length} samples, longest interval ${ms(longestDt)} ms\n  callbacks in order (≥ 1 ms): ${steps}\n  inclusive:\n${top(inclusive)}\n  self:\n${top(self)}`);
}

const rel = (us) => `+${((us - profile.startTime) / 1e6).toFixed(2)} s`;
if (monitorFile) {
  const stalls = fs.readFileSync(monitorFile, 'utf8').trim().split('\n').flatMap((l) => JSON.parse(l).stalls).filter((s) => s.length >= 4 && s[1] >= minMs);
  const inside = stalls.filter(([, , a, b]) => b > profile.startTime && a < t);
  console.log(`${inside.length} stalls of ${minMs} ms or more measured by the loop monitor inside this profile (${((t - profile.startTime) / 1e6).toFixed(1)} s)`);
  for (const [, gap, a, b] of inside) {
    // A sample ending after the window's first tick covers (part of) the window.
    report(`${rel(a)}: stall of ${gap} ms (ticks ${((b - a) / 1000).toFixed(0)} ms apart)`, samples.filter(([st]) => st > a && st <= b));
  }
} else {
  const turns = [];
  let cur = null;
  for (const s of samples) {
    if (idle(s[2])) {
      if (cur) turns.push(cur);
      cur = null;
      continue;
    }
    cur ??= { start: s[0] - s[1], end: s[0], samples: [] };
    cur.samples.push(s);
    cur.end = s[0];
  }
  if (cur) turns.push(cur);
  const long = turns.filter((r) => (r.end - r.start) / 1000 >= minMs);
  console.log(`${turns.length} turns, ${long.length} of ${minMs} ms or more (profile ${((t - profile.startTime) / 1e6).toFixed(1)} s)`);
  for (const r of long) report(`${rel(r.start)}: ${((r.end - r.start) / 1000).toFixed(0)} ms`, r.samples);
}
