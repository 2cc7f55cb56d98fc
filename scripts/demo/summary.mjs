/**
 * What `npm start` prints once the traffic has run: one session's audit trail as a timeline, the
 * alerts with their evidence, and which scenario each alert belongs to (by trace id).
 */

const clip = (text, width) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);
const pad = (text, width) => clip(String(text), width).padEnd(width);

function argsSummary(args) {
  if (args === null || args === undefined) return '—';
  const text = typeof args === 'string' ? args : JSON.stringify(args);
  return text.replace(/\s+/g, ' ');
}

/** Time, actor, tool, outcome, arguments — one line per record. */
export function formatTimeline(records) {
  const lines = [`  ${pad('TIME (UTC)', 13)}${pad('SEQ', 6)}${pad('ACTOR', 16)}${pad('TOOL', 15)}${pad('OUTCOME', 11)}ARGUMENTS (redacted)`];
  for (const r of records) {
    const time = r.time.slice(11, 23);
    const actor = r.actor_id ?? (r.client_name ? `(${r.client_name})` : '—');
    lines.push(`  ${pad(time, 13)}${pad(r.seq, 6)}${pad(actor, 16)}${pad(r.tool ?? r.method, 15)}${pad(r.outcome, 11)}${clip(argsSummary(r.args), 60)}`);
  }
  return lines;
}

const LEVEL_ORDER = { critical: 0, high: 1, medium: 2, low: 3, informational: 4 };

/** Scenario names each alert's evidence traces belong to. */
export function scenariosOf(alert, traceToScenario) {
  return [...new Set(alert.evidence.trace_ids.map((t) => traceToScenario.get(t)).filter(Boolean))];
}

export function traceIndex(report) {
  const map = new Map();
  for (const s of report.scenarios) for (const p of s.prompts) if (p.traceId) map.set(p.traceId, s.name);
  return map;
}

export function formatAlerts(alerts, traceToScenario) {
  const sorted = [...alerts].sort((a, b) => (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9) || a.time.localeCompare(b.time));
  const lines = [];
  for (const a of sorted) {
    const seqs = a.evidence.records.map((r) => `${r.chain_id}#${r.seq}`);
    const traces = a.evidence.trace_ids.map((t) => t.slice(0, 8));
    const scenarios = scenariosOf(a, traceToScenario);
    lines.push(`  ${pad(a.level.toUpperCase(), 9)}${pad(a.rule_id, 26)}${a.title}${a.count > 1 ? ` (×${a.count})` : ''}`);
    lines.push(`  ${' '.repeat(9)}${a.summary}`);
    const group = Object.entries(a.group ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
    lines.push(
      seqs.length || traces.length
        ? `  ${' '.repeat(9)}evidence: records ${clip(seqs.join(', '), 48) || '—'}; traces ${clip(traces.join(', '), 40) || '—'}` +
            `${scenarios.length ? `; scenario ${scenarios.join(', ')}` : ''}`
        : `  ${' '.repeat(9)}evidence: tool definition telemetry of ${group || 'the service'} (no call record)`,
    );
  }
  return lines;
}

/**
 * Compare the alerts with what each scenario should raise. An alert counts for a scenario when
 * its evidence traces include one of the scenario's prompts (or, for evidence without traces,
 * when the rule fired at all).
 * @returns {{ missing: { scenario: string, rule: string }[], unexpectedForNormal: any[] }}
 */
export function checkAlerts(report, alerts, expected) {
  const traceToScenario = traceIndex(report);
  const missing = [];
  for (const s of report.scenarios) {
    for (const rule of expected[s.name] ?? []) {
      const hit = alerts.some((a) => a.rule_id === rule && (a.evidence.trace_ids.length === 0 || scenariosOf(a, traceToScenario).includes(s.name)));
      if (!hit) missing.push({ scenario: s.name, rule });
    }
  }
  const unexpectedForNormal = alerts.filter((a) => scenariosOf(a, traceToScenario).includes('normal'));
  return { missing, unexpectedForNormal };
}
