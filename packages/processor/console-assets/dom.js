// DOM helpers. Every value from telemetry reaches the page as a Text node or an attribute
// value set through the DOM, never as markup: there is no innerHTML anywhere in the console.

const SVG_NS = 'http://www.w3.org/2000/svg';
const ATTRS = new Set(['class', 'href', 'title', 'type', 'name', 'value', 'placeholder', 'id', 'for', 'colspan', 'autocomplete', 'role', 'aria-label', 'data-view', 'data-testid', 'data-seq', 'data-chain', 'data-state', 'selected', 'disabled']);

/** Only same-page routes: a link built from telemetry can never point elsewhere or run script. */
function safeHref(value) {
  const v = String(value);
  return v.startsWith('#/') ? v : '#/';
}

/** Appends children (nodes, text, arrays); null, undefined and false add nothing. */
export function append(el, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(el, c);
  } else if (child instanceof Node) {
    el.appendChild(child);
  } else {
    el.appendChild(document.createTextNode(String(child)));
  }
}

/** h('td', { class: 'num' }, 'text', otherNode): attributes from a fixed list, children as text. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'onclick' || k === 'onsubmit' || k === 'onchange') {
      el.addEventListener(k.slice(2), v);
    } else if (ATTRS.has(k)) {
      el.setAttribute(k, k === 'href' ? safeHref(v) : String(v));
    } else {
      throw new Error(`attribute ${k} is not allowed`);
    }
  }
  append(el, children);
  return el;
}

/** SVG elements: numeric geometry and class names only. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined) continue;
    if (k === 'class' || k === 'viewBox' || k === 'preserveAspectRatio' || k === 'text-anchor' || k === 'role' || k === 'aria-label') el.setAttribute(k, String(v));
    else if (typeof v === 'number' && Number.isFinite(v)) el.setAttribute(k, String(v));
    else throw new Error(`svg attribute ${k} must be a finite number`);
  }
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—'),
  pct: (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%` : '—'),
  ms: (n) => (n === null || n === undefined ? '—' : n < 1 ? `${n.toFixed(2)} ms` : n < 1000 ? `${n.toFixed(1)} ms` : `${(n / 1000).toFixed(2)} s`),
  time: (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—'),
  short: (id, n = 8) => (id ? String(id).slice(0, n) : '—'),
  text: (v) => (v === null || v === undefined ? '—' : String(v)),
  json: (v) => (v === null || v === undefined ? '—' : JSON.stringify(v)),
};

/** Route link: `#/view?k=v` with the parameters encoded. */
export function route(view, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return `#/${view}${qs ? `?${qs}` : ''}`;
}
