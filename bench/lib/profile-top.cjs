'use strict';
// Summarises a .cpuprofile: top self-time frames and top inclusive frames.
// node lib/profile-top.cjs file.cpuprofile [count]
const fs = require('node:fs');
const profile = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const count = Number(process.argv[3] ?? 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/packages\//, '')}:${n.callFrame.lineNumber + 1}`;
const timeById = new Map();
profile.samples.forEach((id, i) => {
  timeById.set(id, (timeById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const self = new Map();
const inclusive = new Map();
let total = 0;
for (const [id, t] of timeById) {
  total += t;
  const k = label(byId.get(id));
  self.set(k, (self.get(k) ?? 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = label(byId.get(cur));
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}
const show = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, count).map(([k, t]) => `${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`total sampled: ${(total / 1e6).toFixed(2)} s\n-- self\n${show(self)}\n-- inclusive\n${show(inclusive)}`);
