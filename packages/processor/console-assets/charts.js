// Charts as SVG built through the DOM (numbers and class names only; labels as text nodes).
import { fmt, s } from './dom.js';

const OUTCOMES = ['ok', 'tool_error', 'error', 'denied'];

/** Stacked bars of calls per bucket by outcome, with the alerts of each bucket as marks above. */
export function seriesChart(series, bucket) {
  const W = 900;
  const H = 200;
  const pad = { l: 44, r: 8, t: 16, b: 28 };
  const max = Math.max(1, ...series.map((p) => OUTCOMES.reduce((n, o) => n + p.outcomes[o], 0)));
  const n = Math.max(series.length, 1);
  const bw = (W - pad.l - pad.r) / n;
  const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': `calls per ${bucket} by outcome` });
  for (const t of [0, 0.5, 1]) {
    svg.appendChild(s('line', { x1: pad.l, x2: W - pad.r, y1: y(max * t), y2: y(max * t), class: 'grid' }));
    svg.appendChild(s('text', { x: pad.l - 6, y: y(max * t) + 4, class: 'axis', 'text-anchor': 'end' }, fmt.int(max * t)));
  }
  series.forEach((p, i) => {
    let acc = 0;
    const x = pad.l + i * bw + 1;
    for (const o of OUTCOMES) {
      const v = p.outcomes[o];
      if (!v) continue;
      const top = y(acc + v);
      svg.appendChild(s('rect', { x, y: top, width: Math.max(1, bw - 2), height: y(acc) - top, class: `bar o-${o}` }, s('title', null, `${p.bucket} ${o}: ${v}`)));
      acc += v;
    }
    if (p.alerts > 0) svg.appendChild(s('circle', { cx: x + bw / 2 - 1, cy: pad.t - 8, r: Math.min(6, 2 + p.alerts), class: 'alert-mark' }, s('title', null, `${p.bucket}: ${p.alerts} alert(s)`)));
  });
  const labels = series.length <= 8 ? series.map((_, i) => i) : [0, Math.floor(series.length / 2), series.length - 1];
  for (const i of labels) {
    const p = series[i];
    if (p) svg.appendChild(s('text', { x: pad.l + i * bw + bw / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, p.bucket.replace('T', ' ')));
  }
  return svg;
}

/** 7 × 24 cells of an hour-of-week profile (index = day × 24 + hour). */
export function hourOfWeek(counts) {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const cell = 22;
  const max = Math.max(1, ...counts);
  const svg = s('svg', { viewBox: `0 0 ${40 + 24 * cell} ${20 + 7 * cell}`, class: 'heat', role: 'img', 'aria-label': 'calls by hour of week' });
  for (let h = 0; h < 24; h += 3) svg.appendChild(s('text', { x: 40 + h * cell + cell / 2, y: 12, class: 'axis', 'text-anchor': 'middle' }, String(h)));
  days.forEach((d, di) => {
    svg.appendChild(s('text', { x: 34, y: 20 + di * cell + cell / 2 + 4, class: 'axis', 'text-anchor': 'end' }, d));
    for (let h = 0; h < 24; h++) {
      const v = counts[di * 24 + h] ?? 0;
      const level = v === 0 ? 0 : Math.min(5, 1 + Math.floor((4 * v) / max));
      svg.appendChild(s('rect', { x: 40 + h * cell, y: 20 + di * cell, width: cell - 2, height: cell - 2, class: `heat-${level}` }, s('title', null, `${d} ${h}:00 — ${v} calls`)));
    }
  });
  return svg;
}

/** Calls per minute on the range's time axis, with the baseline's band (null: warming up); minutes outside it stand out. */
export function bandChart(minutes, band, range) {
  const W = 900;
  const H = 160;
  const pad = { l: 44, r: 8, t: 10, b: 24 };
  const t0 = Date.parse(range.since);
  const t1 = Date.parse(range.until);
  const max = Math.max(1, band ? band.high : 0, ...minutes.map((m) => m.calls));
  const slots = Math.max(1, Math.ceil((t1 - t0) / 60_000));
  const bw = (W - pad.l - pad.r) / slots;
  const x = (iso) => pad.l + ((Date.parse(`${iso}:00Z`) - t0) / 60_000) * bw;
  const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'calls per minute and rate band' });
  if (band) svg.appendChild(s('rect', { x: pad.l, y: y(band.high), width: W - pad.l - pad.r, height: Math.max(1, y(band.low) - y(band.high)), class: 'band' }));
  svg.appendChild(s('line', { x1: pad.l, x2: W - pad.r, y1: y(0), y2: y(0), class: 'grid' }));
  svg.appendChild(s('text', { x: pad.l - 6, y: y(max) + 4, class: 'axis', 'text-anchor': 'end' }, fmt.int(max)));
  svg.appendChild(s('text', { x: pad.l - 6, y: y(0) + 4, class: 'axis', 'text-anchor': 'end' }, '0'));
  for (const m of minutes) {
    svg.appendChild(s('rect', { x: x(m.minute), y: y(m.calls), width: Math.max(2, bw), height: y(0) - y(m.calls), class: m.outside ? 'bar outside' : 'bar o-ok' }, s('title', null, `${m.minute}: ${m.calls} calls`)));
  }
  svg.appendChild(s('text', { x: pad.l, y: H - 6, class: 'axis' }, fmt.time(range.since)));
  svg.appendChild(s('text', { x: W - pad.r, y: H - 6, class: 'axis', 'text-anchor': 'end' }, fmt.time(range.until)));
  return svg;
}

/** A small horizontal bar for a table cell (share of the largest row). */
export function meter(value, max, cls = 'o-ok') {
  const w = 120;
  return s('svg', { viewBox: `0 0 ${w} 10`, class: 'meter' }, s('rect', { x: 0, y: 0, width: Math.max(1, (w * value) / Math.max(1, max)), height: 10, class: `bar ${cls}` }));
}
