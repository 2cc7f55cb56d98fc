'use strict';
// Finds the event loop's long turns in a .cpuprofile of a main thread: runs of consecutive
// samples outside "(idle)" and "(program)" lasting more than --min ms, each with the frames
// that took its time (top inclusive frames of our code and of Node internals).
// node lib/profile-stalls.cjs file.cpuprofile [minMs=50] [frames=8]
const fs = require('node:fs');
const profile = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const minMs = Number(process.argv[3] ?? 50);
const frames = Number(process.argv[4] ?? 8);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/packages\//, '')}:${n.callFrame.lineNumber + 1}`;
const idle = (id) => {
  const f = byId.get(id).callFrame.functionName;
  return f === '(idle)' || f === '(program)';
};
const runs = [];
let cur = null;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  const id = profile.samples[i];
  if (idle(id)) {
    // A short gap (one sample) does not end a turn: the sampler can land on (program) inside one.
    if (cur && t - cur.lastT > 2000) {
      runs.push(cur);
      cur = null;
    }
    continue;
  }
  if (!cur) cur = { start: t, lastT: t, samples: [] };
  cur.samples.push([id, dt]);
  cur.lastT = t;
}
if (cur) runs.push(cur);
const long = runs.filter((r) => (r.lastT - r.start) / 1000 >= minMs);
console.log(`${runs.length} turns, ${long.length} of ${minMs} ms or more (profile ${((t - profile.startTime) / 1e6).toFixed(1)} s)`);
for (const r of long) {
  const inclusive = new Map();
  const self = new Map();
  for (const [id, dt] of r.samples) {
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
  const top = (m) => [...m].filter(([k]) => !k.startsWith('(root)')).sort((a, b) => b[1] - a[1]).slice(0, frames).map(([k, v]) => `    ${(v / 1000).toFixed(0).padStart(5)} ms  ${k}`).join('\n');
  console.log(`\n+${((r.start - profile.startTime) / 1e6).toFixed(2)} s: ${((r.lastT - r.start) / 1000).toFixed(0)} ms\n  inclusive:\n${top(inclusive)}\n  self:\n${top(self)}`);
}
