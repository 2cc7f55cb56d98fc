/**
 * dashboards/: the Azure Monitor Workbook and the Grafana dashboard, checked against what the
 * instrumentation really emits, as named in @mcptrail/conventions: every table, attribute,
 * event name, outcome, metric and label a query uses must exist there (spelled the way each
 * backend spells it). Each check has a control: a mutated copy must be refused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as conventions from '@mcptrail/conventions';
import { describe, expect, it } from 'vitest';

const DIR = path.resolve(__dirname, '../../dashboards');
const read = (f: string) => JSON.parse(readFileSync(path.join(DIR, f), 'utf8'));

const exported = (prefix: string) => new Set(Object.entries(conventions).filter(([k, v]) => k.startsWith(prefix) && typeof v === 'string').map(([, v]) => v as string));
const ATTRIBUTES = exported('ATTR_');
const EVENTS = exported('EVENT_');
const OUTCOMES = new Set<string>(conventions.AUDIT_OUTCOMES);
/** Prometheus and Loki (OTLP ingestion) spell `a.b.c` as `a_b_c`. */
const underscored = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');
const PROM_LABELS = new Set([...ATTRIBUTES].map(underscored));
/** OTLP → Prometheus: a histogram in seconds becomes `<name>_seconds_{bucket,count,sum}`. */
const DURATION_METRIC = `${underscored(conventions.METRIC_MCP_SERVER_OPERATION_DURATION)}_seconds`;
/** The spanmetrics connector's series (namespace traces.span.metrics) and its fixed labels. */
const SPANMETRICS = 'traces_span_metrics_calls_total';
const SPANMETRICS_LABELS = new Set(['service_name', 'span_name', 'span_kind', 'status_code']);
/** Labels every Prometheus/Loki setup adds: `job` (service.name), `le` (histogram bucket). */
const BACKEND_LABELS = new Set(['job', 'le', 'service_name']);

// --- Azure Monitor Workbook ----------------------------------------------------------

interface WorkbookItem { type: number; name: string; content: { query?: string; timeContextFromParameter?: string; parameters?: Array<{ name: string }>; resourceType?: string } }

export function workbookProblems(wb: { version: string; items: WorkbookItem[] }): string[] {
  const problems: string[] = [];
  if (wb.version !== 'Notebook/1.0') problems.push(`version ${wb.version}`);
  const params = new Set(wb.items.flatMap((i) => i.content.parameters?.map((p) => p.name) ?? []));
  for (const item of wb.items.filter((i) => i.type === 3)) {
    const q = item.content.query ?? '';
    const table = /^\s*(\w+)/.exec(q)?.[1];
    if (table !== 'requests' && table !== 'traces') problems.push(`${item.name}: table ${table} is not one Application Insights fills from our telemetry`);
    if (item.content.resourceType !== 'microsoft.insights/components') problems.push(`${item.name}: resourceType`);
    if (!item.content.timeContextFromParameter || !params.has(item.content.timeContextFromParameter)) problems.push(`${item.name}: no time range parameter`);
    for (const [, key] of q.matchAll(/customDimensions\["([^"]+)"\]/g)) if (!ATTRIBUTES.has(key as string)) problems.push(`${item.name}: attribute ${key}`);
    for (const [, ev] of q.matchAll(/"event\.name"\]\s*==\s*"([^"]+)"/g)) if (!EVENTS.has(ev as string)) problems.push(`${item.name}: event ${ev}`);
    for (const [, list] of q.matchAll(/\boutcome\s*(?:==|in)\s*\(?([^)\n|]+)/g)) {
      for (const [, o] of (list as string).matchAll(/"([^"]+)"/g)) if (!OUTCOMES.has(o as string)) problems.push(`${item.name}: outcome ${o}`);
    }
    for (const [, p] of q.matchAll(/\{(\w+)(?::\w+)?\}/g)) if (!params.has(p as string)) problems.push(`${item.name}: parameter {${p}} is not defined`);
  }
  return problems;
}

// --- Grafana -------------------------------------------------------------------------

interface Target { expr: string; datasource: { type: string; uid: string } }
interface Panel { id: number; title: string; datasource: { type: string; uid: string }; targets: Target[] }
interface Dashboard { uid: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string }> } }

function labelsOf(expr: string): string[] {
  const out: string[] = [];
  for (const [, list] of expr.matchAll(/\bby \(([^)]*)\)/g)) out.push(...(list as string).split(',').map((s) => s.trim()).filter(Boolean));
  for (const [, body] of expr.matchAll(/\{([^}]*)\}/g)) for (const [, l] of (body as string).matchAll(/(\w+)\s*(?:=~|!=|!~|=)/g)) out.push(l as string);
  return out;
}

export function grafanaProblems(d: Dashboard): string[] {
  const problems: string[] = [];
  const vars = new Set(d.templating.list.map((v) => v.name));
  const ids = new Set<number>();
  for (const p of d.panels) {
    if (ids.has(p.id)) problems.push(`panel id ${p.id} twice`);
    ids.add(p.id);
    for (const t of p.targets) {
      const uid = /^\$\{(\w+)\}$/.exec(t.datasource.uid)?.[1];
      if (!uid || !vars.has(uid)) problems.push(`${p.title}: datasource ${t.datasource.uid} is not a dashboard variable`);
      if (t.datasource.type === 'prometheus') {
        const metrics = [...t.expr.matchAll(/\b([a-z_]+)\{/g)].map((m) => m[1] as string);
        if (metrics.length === 0) problems.push(`${p.title}: no metric`);
        const spanmetrics = metrics.every((m) => m === SPANMETRICS);
        for (const m of metrics) if (m !== SPANMETRICS && !['_bucket', '_count', '_sum'].some((s) => m === DURATION_METRIC + s)) problems.push(`${p.title}: metric ${m}`);
        for (const l of labelsOf(t.expr)) {
          const known = spanmetrics ? SPANMETRICS_LABELS.has(l) || BACKEND_LABELS.has(l) : PROM_LABELS.has(l) || BACKEND_LABELS.has(l);
          if (!known) problems.push(`${p.title}: label ${l}`);
        }
      } else if (t.datasource.type === 'loki') {
        for (const l of labelsOf(t.expr)) if (!PROM_LABELS.has(l) && !BACKEND_LABELS.has(l)) problems.push(`${p.title}: label ${l}`);
        for (const [, l] of t.expr.matchAll(/\|\s*(\w+)\s*=/g)) if (!PROM_LABELS.has(l as string)) problems.push(`${p.title}: log attribute ${l}`);
        for (const [, ev] of t.expr.matchAll(/event_name="([^"]+)"/g)) if (!EVENTS.has(ev as string)) problems.push(`${p.title}: event ${ev}`);
        for (const [, o] of t.expr.matchAll(/mcp_audit_outcome="([^"]+)"/g)) if (!OUTCOMES.has(o as string)) problems.push(`${p.title}: outcome ${o}`);
      } else {
        problems.push(`${p.title}: datasource type ${t.datasource.type}`);
      }
    }
  }
  return problems;
}

describe('Azure Monitor Workbook', () => {
  const wb = read('azure-monitor-workbook.json');

  it('is a workbook whose KQL uses only the tables, attributes, events and outcomes we emit', () => {
    expect(workbookProblems(wb)).toEqual([]);
    const queries = wb.items.filter((i: WorkbookItem) => i.type === 3);
    expect(queries.length).toBeGreaterThanOrEqual(7);
    // The views the Azure guidance asks for.
    expect(queries.map((i: WorkbookItem) => i.name)).toEqual(expect.arrayContaining(['tool-usage', 'denied', 'error-rates', 'off-hours-destructive', 'sessions-by-actor']));
    const all = queries.map((i: WorkbookItem) => i.content.query).join('\n');
    for (const attr of [conventions.ATTR_GEN_AI_TOOL_NAME, conventions.ATTR_MCP_AUDIT_OUTCOME, conventions.ATTR_MCP_SESSION_ID, conventions.ATTR_MCP_TOOL_DESTRUCTIVE_HINT, conventions.ATTR_ENDUSER_ID]) {
      expect(all).toContain(`customDimensions["${attr}"]`);
    }
  });

  it('control: a misspelt attribute, an unknown table, event or outcome is refused', () => {
    const mutate = (from: string, to: string) => {
      const copy = JSON.parse(JSON.stringify(wb));
      for (const i of copy.items) if (i.content.query) i.content.query = i.content.query.replace(from, to);
      return workbookProblems(copy);
    };
    expect(mutate('customDimensions["gen_ai.tool.name"]', 'customDimensions["gen_ai.tool"]')).not.toEqual([]);
    expect(mutate('requests\n', 'dependencies\n')).not.toEqual([]);
    expect(mutate('"mcp.audit.tool_call"', '"mcp.audit.call"')).not.toEqual([]);
    expect(mutate('outcome == "denied"', 'outcome == "forbidden"')).not.toEqual([]);
    expect(mutate('{TimeRange:grain}', '{Range:grain}')).not.toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  const d = read('grafana-mcp-tools.json');

  it('queries mcp.server.operation.duration, spanmetrics and the audit log records by their real names', () => {
    expect(grafanaProblems(d)).toEqual([]);
    const exprs = d.panels.flatMap((p: Panel) => p.targets.map((t) => t.expr)).join('\n');
    expect(exprs).toContain(`${DURATION_METRIC}_bucket`);
    expect(exprs).toContain(SPANMETRICS);
    expect(exprs).toContain(`event_name="${conventions.EVENT_MCP_AUDIT_TOOL_CALL}"`);
    expect(exprs).toContain(`event_name="${conventions.EVENT_MCPTRAIL_ALERT}"`);
    expect(d.panels.some((p: Panel) => p.datasource.type === 'loki')).toBe(true);
  });

  it('control: an unknown metric, label, event or a hard-coded datasource is refused', () => {
    const mutate = (from: string, to: string) => grafanaProblems(JSON.parse(JSON.stringify(d).replaceAll(from, to)));
    expect(mutate('mcp_server_operation_duration_seconds_count', 'mcp_server_duration_count')).not.toEqual([]);
    expect(mutate('gen_ai_tool_name', 'tool_name')).not.toEqual([]);
    expect(mutate('mcp.audit.tool_call', 'mcp.tool_call')).not.toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's datasource variable, as the dashboard spells it
    expect(mutate('${loki}', 'P8E80F9AEF21F6940')).not.toEqual([]);
    expect(mutate('mcp_audit_outcome=\\"denied\\"', 'mcp_audit_outcome=\\"refused\\"')).not.toEqual([]);
  });
});

describe('dashboards/README.md', () => {
  it('spells out every query of both files, as they are', () => {
    const readme = readFileSync(path.join(DIR, 'README.md'), 'utf8');
    const wb = read('azure-monitor-workbook.json');
    for (const i of wb.items.filter((x: WorkbookItem) => x.type === 3)) expect(readme, i.name).toContain(i.content.query);
    const d = read('grafana-mcp-tools.json');
    for (const p of d.panels as Panel[]) for (const t of p.targets) expect(readme, p.title).toContain(t.expr);
  });
});
