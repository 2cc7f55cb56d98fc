// Router and frame: `#/view?params`. Pages are rebuilt from their JSON on every navigation.
import { setToken, takeTokenFromLocation, Unauthorized } from './api.js';
import { clear, h } from './dom.js';
import * as views from './views.js';

const PAGES = { overview: views.overview, timeline: views.timeline, alerts: views.alerts, baselines: views.baselines, integrity: views.integrity };

function parseRoute() {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  const view = m && PAGES[m[1]] ? m[1] : 'overview';
  return { view, params: Object.fromEntries(new URLSearchParams(m?.[2] ?? '')) };
}

function login(root, message) {
  const input = h('input', { type: 'password', name: 'token', placeholder: 'bearer token', autocomplete: 'off', 'aria-label': 'bearer token' });
  root.append(
    h('h1', null, 'Sign in'),
    h('p', { class: 'muted' }, message),
    h(
      'form',
      {
        class: 'login',
        onsubmit: (e) => {
          e.preventDefault();
          setToken(input.value.trim());
          render();
        },
      },
      input,
      h('button', { type: 'submit' }, 'Open the console'),
    ),
  );
}

let generation = 0;

async function render() {
  const mine = ++generation;
  const { view, params } = parseRoute();
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('data-view') === view);
  const root = document.getElementById('main');
  const page = h('div', { class: `page page-${view}` });
  const status = document.getElementById('status');
  status.textContent = 'loading…';
  try {
    await PAGES[view](params, page, render);
    if (mine !== generation) return;
    clear(root).append(page);
    status.textContent = '';
    document.body.setAttribute('data-ready', view);
  } catch (err) {
    if (mine !== generation) return;
    clear(root);
    status.textContent = '';
    if (err instanceof Unauthorized) login(root, 'This processor requires its bearer token (the one set with --token or MCPTRAIL_TOKEN). It is kept for this tab only.');
    else root.append(h('h1', null, 'Error'), h('p', { class: 'err' }, String(err.message ?? err)));
    document.body.setAttribute('data-ready', 'error');
  }
}

takeTokenFromLocation();
window.addEventListener('hashchange', render);
render();
