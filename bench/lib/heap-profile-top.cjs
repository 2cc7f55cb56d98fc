'use strict';
// Summarises a .heapprofile (node --heap-prof): live sampled bytes by allocating function,
// and by the nearest frame inside the given package path (default: packages/).
// node lib/heap-profile-top.cjs FILE.heapprofile [count] [pathFilter]
const fs = require('node:fs');
const [file, countArg, filter = '/packages/'] = process.argv.slice(2);
const count = Number(countArg ?? 20);
const { head } = JSON.parse(fs.readFileSync(file, 'utf8'));
const label = (f) => `${f.functionName || '(anonymous)'} ${f.url.replace(/.*node_modules\//, '').replace(/.*\/packages\//, '')}:${f.lineNumber + 1}`;
const self = new Map();
const owned = new Map();
let total = 0;
(function walk(node, stack) {
  const here = [...stack, node.callFrame];
  const bytes = node.selfSize ?? 0;
  if (bytes > 0) {
    total += bytes;
    self.set(label(node.callFrame), (self.get(label(node.callFrame)) ?? 0) + bytes);
    const ours = [...here].reverse().find((f) => f.url.includes(filter));
    const k = ours ? label(ours) : '(outside filter)';
    owned.set(k, (owned.get(k) ?? 0) + bytes);
  }
  for (const c of node.children ?? []) walk(c, here);
})(head, []);
const show = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, count).map(([k, b]) => `${(b / 2 ** 20).toFixed(1).padStart(7)} MiB  ${k}`).join('\n');
console.log(`live sampled: ${(total / 2 ** 20).toFixed(1)} MiB\n-- by allocating frame\n${show(self)}\n-- by nearest frame under '${filter}'\n${show(owned)}`);
