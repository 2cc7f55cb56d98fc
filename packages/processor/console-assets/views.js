// The five pages. Each render(params, root) fetches its JSON and builds the page with h()/s():
// telemetry values are only ever text.
import { get, post } from './api.js';
import { bandChart, hourOfWeek, meter, seriesChart } from './charts.js';
import { append, clear, fmt, h, route } from './dom.js';

const RANGES = ['15m', '1h', '6h', '24h', '7d', '30d'];

const badge = (outcome) => h('span', { class: `badge o-${outcome}` }, outcome);
const level = (lvl) => h('span', { class: `badge l-${lvl}` }, lvl);
const card = (label, value, id, cls = '') => h('div', { class: `card ${cls}`, 'data-testid': id }, h('div', { class: 'card-value' }, value), h('div', { class: 'card-label' }, label));
const table = (head, rows, cls = '') => h('table', { class: cls }, h('thead', null, h('tr', null, head.map((c) => h('th', null, c)))), h('tbody', null, rows));
const section = (title, ...body) => h('section', null, h('h2', null, title), ...body);
// Counts come from the processor's rollup; while it catches up (first start over a large trail) it says what it left out.
const pendingNote = (coverage) =>
  coverage && coverage.pending_records > 0
    ? h('p', { class: 'notice', 'data-testid': 'pending' }, `Still counting the trail: ${fmt.int(coverage.pending_records)} sealed records are not in these counts yet. Reload in a few seconds.`)
    : null;

// --- overview -------------------------------------------------------------------------

export async function overview(p, root) {
  const since = RANGES.includes(p.since) ? p.since : '24h';
  const filter = { service: p.service, tool: p.tool, actor: p.actor };
  const o = await get('overview', { since, ...filter });
  const picker = h(
    'div',
    { class: 'toolbar' },
    h('span', { class: 'muted' }, 'Range: '),
    RANGES.map((r) => h('a', { href: route('overview', { ...filter, since: r }), class: r === since ? 'pill active' : 'pill' }, r)),
    Object.entries(filter)
      .filter(([, v]) => v)
      .map(([k, v]) => h('a', { class: 'pill filter', href: route('overview', { ...filter, [k]: null, since }), title: 'remove this filter' }, `${k} = ${v} ✕`)),
  );
  const t = o.totals;
  const cards = h(
    'div',
    { class: 'cards' },
    card('MCP requests', fmt.int(t.calls), 'calls'),
    card('ok', fmt.int(t.outcomes.ok), 'ok', 'o-ok'),
    card('tool errors', fmt.int(t.outcomes.tool_error), 'tool_error', 'o-tool_error'),
    card('errors', fmt.int(t.outcomes.error), 'error', 'o-error'),
    card('denied', fmt.int(t.outcomes.denied), 'denied', 'o-denied'),
    card('error rate', fmt.pct(t.error_rate), 'error_rate'),
    card('denied rate', fmt.pct(t.denied_rate), 'denied_rate'),
    h('a', { href: route('alerts'), class: 'card-link' }, card('alerts', fmt.int(t.alerts), 'alerts', t.alerts ? 'l-high' : '')),
  );
  const maxOf = (rows) => Math.max(1, ...rows.map((r) => r.calls));
  const topTable = (rows, key) =>
    table(
      [key, 'calls', '', 'errors', 'denied'],
      rows.map((r) =>
        h(
          'tr',
          null,
          h('td', null, h('a', { href: route('overview', { ...filter, since, [key]: r.name }) }, fmt.text(r.name))),
          h('td', { class: 'num' }, fmt.int(r.calls)),
          h('td', null, meter(r.calls, maxOf(rows))),
          h('td', { class: 'num' }, fmt.int(r.outcomes.error + r.outcomes.tool_error)),
          h('td', { class: 'num' }, fmt.int(r.outcomes.denied)),
        ),
      ),
      'data',
    );
  const legend = h('div', { class: 'legend' }, ['ok', 'tool_error', 'error', 'denied'].map((x) => h('span', { class: `key o-${x}` }, x)), h('span', { class: 'key alert-key' }, 'alerts'));
  append(root, [
    h('h1', null, 'Overview'),
    picker,
    pendingNote(o.coverage),
    cards,
    section(`Calls per ${o.range.bucket}`, seriesChart(o.series, o.range.bucket), legend),
    h(
      'div',
      { class: 'cols' },
      section('Top tools', topTable(o.top_tools, 'tool')),
      section('Top actors', o.top_actors.length ? topTable(o.top_actors, 'actor') : h('p', { class: 'muted' }, 'No call carried an actor (enduser.id).')),
    ),
    h(
      'div',
      { class: 'cols' },
      section('Services', topTable(o.services, 'service')),
      section(
        'Alerts by level',
        table(['level', 'alerts'], Object.entries(o.alerts_by_level).map(([l, n]) => h('tr', null, h('td', null, level(l)), h('td', { class: 'num' }, fmt.int(n)))), 'data'),
      ),
    ),
    h('p', { class: 'muted' }, `${fmt.time(o.range.since)} → ${fmt.time(o.range.until)}: every MCP request in the trail (tools/call, initialize, resources/read, …).`),
  ]);
}

// --- timeline -------------------------------------------------------------------------

function resultSummary(r) {
  if (!r) return '—';
  return `${r.content_count} × ${r.content_types.join(', ') || '—'}, ${fmt.int(r.size)} B${r.is_error ? ', isError' : ''}`;
}

function truncate(text, n = 240) {
  return text.length > n ? `${text.slice(0, n)}…` : text;
}

export async function timeline(p, root) {
  const scopeParams = { session: p.session, service: p.service, trace_id: p.trace_id, chain: p.chain, seq: p.seq };
  if (!p.session && !p.trace_id && !p.chain) {
    append(root, [h('h1', null, 'Timeline'), h('p', { class: 'muted' }, 'Open a session or a trace from an alert’s evidence, or give session/trace_id in the address.')]);
    return;
  }
  const evidence = new Set();
  let alert = null;
  if (p.alert) {
    const list = await get('alerts', { limit: 1000 });
    alert = list.alerts.find((a) => a.id === p.alert) ?? null;
    for (const ref of alert?.evidence.records ?? []) evidence.add(`${ref.chain_id}#${ref.seq}`);
  }
  if (p.chain && p.seq) evidence.add(`${p.chain}#${p.seq}`);
  const t = await get('timeline', { ...scopeParams, after_chain: p.after_chain, after_seq: p.after_seq, limit: 200 });
  const sc = t.scope;
  const head = h(
    'div',
    { class: 'scope' },
    sc.kind === 'session'
      ? [h('span', { class: 'muted' }, 'session '), h('code', { 'data-testid': 'scope-session' }, fmt.text(sc.session)), h('span', { class: 'muted' }, ' on '), h('code', null, fmt.text(sc.service))]
      : [h('span', { class: 'muted' }, 'trace '), h('code', { 'data-testid': 'scope-trace' }, fmt.text(sc.trace_id))],
    h('span', { class: 'muted' }, ` · ${t.count} call${t.count === 1 ? '' : 's'} on this page`),
  );
  const blocks = t.traces.map((g) => {
    const first = g.entries[0].record;
    return h(
      'section',
      { class: 'trace' },
      h(
        'h3',
        null,
        h('span', { class: 'muted' }, 'trace '),
        g.trace_id ? h('a', { href: route('timeline', { trace_id: g.trace_id }), title: 'every call of this trace, on every server' }, fmt.short(g.trace_id, 16)) : '—',
        h('span', { class: 'muted' }, ` · ${fmt.time(first.time)} · ${first.client_name ?? 'unknown client'}`),
      ),
      table(
        ['time', 'seq', 'service', 'tool', 'actor', 'outcome', 'duration', 'arguments (redacted)', 'result', 'tool schema'],
        g.entries.map(({ record: r, schema_changed, previous_schema_version }) =>
          h(
            'tr',
            { class: evidence.has(`${r.chain_id}#${r.seq}`) ? 'row evidence' : 'row', 'data-seq': r.seq, 'data-chain': r.chain_id },
            h('td', { class: 'nowrap' }, fmt.time(r.time)),
            h('td', { class: 'num' }, r.seq),
            h('td', null, r.service),
            h('td', { class: 'tool' }, fmt.text(r.tool ?? r.method)),
            h('td', null, fmt.text(r.actor_id)),
            h('td', null, badge(r.outcome), r.error_message ? h('div', { class: 'err' }, truncate(r.error_message, 160)) : null),
            h('td', { class: 'num nowrap' }, fmt.ms(r.duration_ms)),
            h('td', null, h('code', { class: 'args' }, truncate(fmt.json(r.args)))),
            h('td', { class: 'nowrap' }, resultSummary(r.result)),
            h(
              'td',
              { class: schema_changed ? 'schema changed' : 'schema' },
              h('code', null, fmt.short(r.tool_schema_version, 23)),
              schema_changed ? h('div', { class: 'changed-note' }, `changed (was ${fmt.short(previous_schema_version, 23)})`) : null,
            ),
          ),
        ),
        'data timeline',
      ),
    );
  });
  append(root, [
    h('h1', null, 'Timeline'),
    alert ? h('p', { class: 'evidence-note' }, level(alert.level), ` ${alert.title}: highlighted rows are this alert’s evidence.`) : null,
    head,
    ...blocks,
    t.next ? h('p', null, h('a', { class: 'pill', href: route('timeline', { ...scopeParams, alert: p.alert, after_chain: t.next.chain, after_seq: t.next.after_seq }) }, 'next page →')) : null,
  ]);
}

// --- alerts ---------------------------------------------------------------------------

export async function alerts(p, root, rerender) {
  const list = await get('alerts', { state: p.state, level: p.level, limit: 500 });
  const states = ['', 'open', 'acknowledged', 'resolved'];
  const act = (a, state, label) =>
    h('button', {
      type: 'button',
      'data-state': state,
      onclick: async (e) => {
        e.target.disabled = true;
        await post(`alerts/${encodeURIComponent(a.id)}/state`, { state });
        rerender();
      },
    }, label);
  const rows = list.alerts.map((a) =>
    h(
      'tr',
      { class: `alert-row state-${a.state.state}` },
      h('td', { class: 'nowrap' }, fmt.time(a.time)),
      h('td', null, level(a.level)),
      h('td', null, h('div', { class: 'strong' }, a.title), h('div', { class: 'muted' }, a.rule_id)),
      h('td', null, a.tags.map((t) => h('span', { class: 'tag' }, t))),
      h('td', null, h('div', null, a.summary), h('div', { class: 'muted' }, Object.entries(a.group).map(([k, v]) => `${k}=${v}`).join(' · '))),
      h('td', { class: 'num' }, fmt.int(a.count)),
      h(
        'td',
        { class: 'evidence-links' },
        a.evidence.records.slice(0, 6).map((ref) => h('a', { href: route('timeline', { chain: ref.chain_id, seq: ref.seq, alert: a.id }), class: 'evidence-link', title: 'open the session of this record' }, `#${ref.seq}`)),
        a.evidence.records.length > 6 ? h('span', { class: 'muted' }, ` +${a.evidence.records.length - 6}`) : null,
        a.evidence.records.length === 0 && a.evidence.trace_ids.length > 0
          ? a.evidence.trace_ids.slice(0, 3).map((t) => h('a', { href: route('timeline', { trace_id: t, alert: a.id }), class: 'evidence-link' }, `trace ${fmt.short(t)}`))
          : null,
        a.evidence.records.length === 0 && a.evidence.trace_ids.length === 0 ? h('span', { class: 'muted' }, 'tool definition telemetry (no call record)') : null,
      ),
      h(
        'td',
        { class: 'nowrap' },
        h('span', { class: `state s-${a.state.state}`, 'data-testid': 'alert-state' }, a.state.state),
        a.state.state === 'open' ? act(a, 'acknowledged', 'Acknowledge') : null,
        a.state.state !== 'resolved' ? act(a, 'resolved', 'Resolve') : act(a, 'open', 'Reopen'),
      ),
    ),
  );
  append(root, [
    h('h1', null, 'Alerts'),
    h('div', { class: 'toolbar' }, h('span', { class: 'muted' }, 'State: '), states.map((st) => h('a', { href: route('alerts', { state: st, level: p.level }), class: (p.state ?? '') === st ? 'pill active' : 'pill' }, st || 'all'))),
    list.alerts.length
      ? table(['time', 'level', 'rule', 'tags', 'summary', 'count', 'evidence', 'state'], rows, 'data alerts')
      : h('p', { class: 'muted' }, 'No alerts.'),
    h('p', { class: 'muted' }, 'Acknowledge and resolve change the alert’s state in the processor; the audit trail itself is never edited.'),
  ]);
}

// --- baselines ------------------------------------------------------------------------

export async function baselines(p, root) {
  if (p.kind) return baselineDetail(p, root);
  const list = await get('baselines', {});
  const rows = list.baselines
    .filter((b) => b.kind === 'actor' || b.kind === 'service_tool' || b.kind === 'actor_tool')
    .map((b) =>
      h(
        'tr',
        null,
        h('td', null, h('a', { href: route('baselines', { kind: b.kind, service: b.service, tool: b.tool, actor: b.actor }) }, b.kind)),
        h('td', null, fmt.text(b.service)),
        h('td', null, fmt.text(b.tool)),
        h('td', null, fmt.text(b.actor)),
        h('td', { class: 'num' }, fmt.int(b.observations)),
        h('td', { class: 'num nowrap' }, `${b.rate_per_minute.mean.toFixed(2)} ± ${b.rate_per_minute.stddev.toFixed(2)}`),
        h('td', { class: 'num' }, fmt.pct(b.error_ratio)),
        h('td', { class: 'num' }, fmt.pct(b.denied_ratio)),
        h('td', null, b.warm ? 'warm' : 'warming up'),
      ),
    );
  append(root, [
    h('h1', null, 'Baselines'),
    h('p', { class: 'muted' }, 'Per tool (service_tool), per actor and per actor+tool: call rate per minute (EWMA), error and denied ratios. Open one for its hourly profile and the calls outside its band.'),
    table(['kind', 'service', 'tool', 'actor', 'calls', 'calls/min', 'errors', 'denied', ''], rows, 'data'),
  ]);
}

// Per-minute counts: a day at most.
const BASELINE_RANGES = ['15m', '1h', '6h', '24h'];

async function baselineDetail(p, root) {
  const since = BASELINE_RANGES.includes(p.since) ? p.since : '24h';
  const d = await get('baselines', { kind: p.kind, service: p.service, tool: p.tool, actor: p.actor, since });
  const b = d.baseline;
  const who = [b.service && `service ${b.service}`, b.tool && `tool ${b.tool}`, b.actor && `actor ${b.actor}`].filter(Boolean).join(' · ');
  append(root, [
    h('h1', null, 'Baseline'),
    h('p', null, h('a', { href: route('baselines') }, '← all baselines'), ' ', h('span', { class: 'strong' }, `${b.kind} baseline: ${who}`), b.warm ? null : h('span', { class: 'muted' }, ' (warming up)')),
    pendingNote(d.coverage),
    h(
      'div',
      { class: 'cards' },
      card('calls seen', fmt.int(b.observations), 'observations'),
      card('calls/min (mean)', b.rate_per_minute.mean.toFixed(2), 'rate'),
      card(d.band ? `calls/min band (±${d.band.sigmas}σ)` : 'calls/min band', d.band ? `${d.band.low.toFixed(1)} – ${d.band.high.toFixed(1)}` : 'warming up', 'band'),
      card('error ratio', fmt.pct(b.error_ratio), 'error_ratio'),
      card('denied ratio', fmt.pct(b.denied_ratio), 'denied_ratio'),
      card('minutes outside', fmt.int(d.minutes.filter((m) => m.outside).length), 'outside'),
    ),
    section('Hour of week (baseline time zone)', hourOfWeek(b.hour_of_week)),
    section(
      `Calls per minute, last ${since}`,
      h('div', { class: 'toolbar' }, BASELINE_RANGES.map((r) => h('a', { href: route('baselines', { kind: p.kind, service: p.service, tool: p.tool, actor: p.actor, since: r }), class: r === since ? 'pill active' : 'pill' }, r))),
      bandChart(d.minutes, d.band, d.range),
    ),
    section(
      'Calls outside the band',
      d.outside.length
        ? d.outside.map((m) =>
            h(
              'div',
              { class: 'outside-minute' },
              h('h3', null, `${fmt.time(`${m.minute}:00Z`)} · ${m.calls} calls`),
              table(
                ['time', 'tool', 'actor', 'outcome', 'session'],
                m.records.map((r) =>
                  h(
                    'tr',
                    null,
                    h('td', { class: 'nowrap' }, fmt.time(r.time)),
                    h('td', null, fmt.text(r.tool)),
                    h('td', null, fmt.text(r.actor_id)),
                    h('td', null, badge(r.outcome)),
                    h('td', null, r.session_id ? h('a', { href: route('timeline', { chain: r.chain_id, seq: r.seq }) }, fmt.short(r.session_id, 12)) : '—'),
                  ),
                ),
                'data',
              ),
            ),
          )
        : h('p', { class: 'muted' }, d.band ? 'No minute of this range fell outside the band.' : `This baseline is still warming up (${fmt.int(b.observations)} calls seen): it has no band yet, so no call is outside it.`),
    ),
  ]);
}

// --- integrity ------------------------------------------------------------------------

export async function integrity(_p, root) {
  const info = await get('integrity');
  const verdict = h('div', { class: 'verdict', 'data-testid': 'verdict' }, h('span', { class: 'muted' }, 'Not verified in this page yet.'));
  const run = h('button', {
    type: 'button',
    'data-testid': 'verify',
    onclick: async () => {
      run.disabled = true;
      append(clear(verdict), [h('span', { class: 'muted' }, 'Verifying every chain…')]);
      try {
        const r = await get('verify');
        append(clear(verdict), [
          h('div', { class: r.ok ? 'ok-big' : 'fail-big', 'data-testid': 'verdict-text' }, r.ok ? `✓ intact: ${fmt.int(r.records)} records, every hash and signature checks` : '✗ verification FAILED'),
          table(
            ['chain', 'records', 'seq', 'checkpoints', 'verdict', 'first problem'],
            r.chains.map((c) =>
              h(
                'tr',
                null,
                h('td', null, c.chain_id),
                h('td', { class: 'num' }, fmt.int(c.records)),
                h('td', { class: 'num' }, `${c.first_seq}–${c.last_seq}`),
                h('td', { class: 'num' }, fmt.int(c.checkpoints)),
                h('td', null, c.ok ? h('span', { class: 'badge o-ok' }, 'ok') : h('span', { class: 'badge o-error' }, 'failed')),
                h('td', null, c.problem ? [h('span', { class: 'strong' }, `${c.problem.kind} at seq ${c.problem.seq}`), ' ', c.problem.detail] : '—'),
              ),
            ),
            'data',
          ),
          h('p', { class: 'muted' }, `verified at ${fmt.time(r.verified_at)} in ${fmt.int(r.elapsed_ms)} ms`),
        ]);
      } finally {
        run.disabled = false;
      }
    },
  }, 'Verify the trail now');
  append(root, [
    h('h1', null, 'Integrity'),
    h('p', { class: 'muted' }, `Store: ${info.store}. Each chain is a hash chain of records; checkpoints sign its head with the processor’s Ed25519 key.`),
    table(
      ['chain', 'records', 'head seq', 'head hash', 'head time', 'checkpoints', 'last checkpoint', 'not yet signed'],
      info.chains.map((c) =>
        h(
          'tr',
          null,
          h('td', null, c.chain_id),
          h('td', { class: 'num' }, fmt.int(c.records)),
          h('td', { class: 'num' }, c.head ? c.head.seq : '—'),
          h('td', null, h('code', null, c.head ? fmt.short(c.head.hash, 16) : '—')),
          h('td', { class: 'nowrap' }, c.head ? fmt.time(c.head.time) : '—'),
          h('td', { class: 'num' }, fmt.int(c.checkpoints)),
          h('td', null, c.last_checkpoint ? `seq ${c.last_checkpoint.seq} at ${fmt.time(c.last_checkpoint.time)}, key ${fmt.short(c.last_checkpoint.key_id, 16)}` : 'none yet'),
          h('td', { class: 'num' }, fmt.int(c.unsigned)),
        ),
      ),
      'data',
    ),
    h('div', { class: 'toolbar' }, run),
    verdict,
  ]);
}
