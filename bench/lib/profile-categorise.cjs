'use strict';
// Sample time of a .cpuprofile by kind of work: each sample goes to the innermost frame on its stack
// that one of `cats` ([name, test(callFrame)]) claims, else to `fallback`. Shared by the category scripts.
function categorise(profile, cats, fallback) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    let cat = fallback;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur).callFrame;
      const hit = cats.find(([, test]) => test(f));
      if (hit) {
        cat = hit[0];
        break;
      }
    }
    totals.set(cat, (totals.get(cat) ?? 0) + dt);
  });
  return { totals, total };
}

module.exports = { categorise };
