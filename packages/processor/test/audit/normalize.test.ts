import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_ERROR_MESSAGE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SIDE,
  ATTR_MCP_TOOL_DESTRUCTIVE_HINT,
  ATTR_ENDUSER_SCOPE,
  ATTR_EVENT_NAME,
  ATTR_MCPTRAIL_REDACTION_TYPES,
  EVENT_MCP_AUDIT_TOOL_CALL,
} from '@mcptrail/conventions';
import { describe, expect, it } from 'vitest';
import { mergeSpanAndLog } from '../../src/audit/merge';
import { normalizeLog, normalizeSpan, type Normalized } from '../../src/audit/normalize';
import { SPAN_KIND, STATUS_CODE } from '../../src/otlp/types';
import { auditLog, toolSpan } from './fixtures';
import { testRedactor } from './redactor';

const opts = { redactor: testRedactor() };

function draftOf(n: Normalized) {
  if (n.kind !== 'draft') throw new Error(`expected a draft, got ${JSON.stringify(n)}`);
  return n.draft;
}

describe('normalizeSpan', () => {
  it('maps a SERVER tools/call span to a complete draft', () => {
    const span = toolSpan({ args: { city: 'Paris' }, extra: { [ATTR_MCP_TOOL_DESTRUCTIVE_HINT]: false, [ATTR_ENDUSER_SCOPE]: ['read', 'write'] } });
    const received = Date.parse('2025-11-21T04:40:03.000Z');
    const d = draftOf(normalizeSpan(span, opts, received));
    expect(d).toEqual({
      schema_version: '1',
      time: '2025-11-21T04:40:00.000Z',
      service: 'weather-server',
      service_instance: null,
      side: 'server',
      session_id: 'sess-1',
      method: 'tools/call',
      tool: 'get_weather',
      resource_uri: null,
      prompt: null,
      jsonrpc_request_id: '7',
      actor_id: 'client-42',
      actor_scope: 'read write',
      client_name: 'agent-x',
      client_version: null,
      client_address: null,
      server_name: 'weather',
      server_version: null,
      protocol_version: null,
      args: { city: 'Paris' },
      args_hash: 'hmac:k1:' + 'a'.repeat(64),
      args_size: 17,
      result: null,
      outcome: 'ok',
      error_type: null,
      error_message: null,
      duration_ms: 12.5,
      tool_schema_version: 'sha256:0123456789abcdef',
      tool_destructive: false,
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: null,
      source: 'span',
      redaction_types: null,
      credential_id: null,
      emitter_address: null,
      identity_flags: null,
      received_time: '2025-11-21T04:40:03.000Z',
      clock_anomaly: null,
    });
  });

  it('records every server-side request method, ignores notifications and non-MCP spans', () => {
    for (const method of ['initialize', 'tools/list', 'ping', 'resources/list']) {
      expect(draftOf(normalizeSpan(toolSpan({ method }), opts))).toMatchObject({ method, tool: null });
    }
    expect(normalizeSpan(toolSpan({ method: 'notifications/initialized' }), opts)).toEqual({ kind: 'ignored' });
    const http = toolSpan();
    http.attributes = { 'http.request.method': 'POST' };
    expect(normalizeSpan(http, opts)).toEqual({ kind: 'ignored' });
  });

  it('ignores CLIENT spans unless includeClientSpans is set', () => {
    const span = toolSpan({ kind: SPAN_KIND.CLIENT });
    expect(normalizeSpan(span, opts)).toEqual({ kind: 'ignored' });
    expect(draftOf(normalizeSpan(span, { ...opts, includeClientSpans: true }))).toMatchObject({ side: 'client' });
  });

  it('takes the side from mcp.side when the span kind is INTERNAL, and rejects when unknown', () => {
    const internal = toolSpan({ kind: SPAN_KIND.INTERNAL });
    expect(normalizeSpan(internal, opts)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('span kind 1') });
    internal.attributes[ATTR_MCP_SIDE] = 'server';
    expect(draftOf(normalizeSpan(internal, opts)).side).toBe('server');
  });

  it('rejects MCP spans missing what a record needs, naming the attribute', () => {
    expect(normalizeSpan(toolSpan({ noTool: true }), opts)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining("'gen_ai.tool.name'") });
    expect(normalizeSpan(toolSpan({ method: 'prompts/get' }), opts)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining("'gen_ai.prompt.name'") });
    expect(normalizeSpan(toolSpan({ method: 'resources/read' }), opts)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining("'mcp.resource.uri'") });
    expect(normalizeSpan(toolSpan({ startNs: 0n }), opts)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('start time') });
    expect(draftOf(normalizeSpan(toolSpan({ method: 'prompts/get', extra: { [ATTR_GEN_AI_PROMPT_NAME]: 'summarize' } }), opts)).prompt).toBe('summarize');
    expect(draftOf(normalizeSpan(toolSpan({ method: 'resources/read', extra: { [ATTR_MCP_RESOURCE_URI]: 'file:///etc/motd' } }), opts)).resource_uri).toBe('file:///etc/motd');
  });

  it('derives the outcome: explicit attribute, tool_error, denied, error, ok', () => {
    const withAttrs = (extra: Record<string, string>, status: number = STATUS_CODE.UNSET) => {
      const s = toolSpan({ extra });
      s.status = { code: status, message: '' };
      return draftOf(normalizeSpan(s, opts)).outcome;
    };
    expect(withAttrs({})).toBe('ok');
    expect(withAttrs({ [ATTR_ERROR_TYPE]: 'tool_error' }, STATUS_CODE.ERROR)).toBe('tool_error');
    expect(withAttrs({ [ATTR_ERROR_TYPE]: 'forbidden' }, STATUS_CODE.ERROR)).toBe('denied');
    expect(withAttrs({ [ATTR_ERROR_TYPE]: '-32602' }, STATUS_CODE.ERROR)).toBe('error');
    expect(withAttrs({}, STATUS_CODE.ERROR)).toBe('error');
    expect(withAttrs({ [ATTR_MCP_AUDIT_OUTCOME]: 'denied' }, STATUS_CODE.ERROR)).toBe('denied');
    expect(withAttrs({ [ATTR_MCP_AUDIT_OUTCOME]: 'bogus' })).toBe('ok');
  });

  it('re-redacts arguments, error text and URIs (defence in depth)', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const span = toolSpan({
      args: { password: 'hunter2-super-secret', note: `use Bearer ${jwt}`, city: 'Paris' },
      extra: {
        [ATTR_MCP_ERROR_MESSAGE]: `login failed for postgres://admin:S3cretPassw0rd@db.internal:5432/app`,
        [ATTR_MCP_RESOURCE_URI]: `https://api.example.com/data?access_token=${jwt}`,
      },
    });
    span.status = { code: STATUS_CODE.ERROR, message: 'x' };
    const d = draftOf(normalizeSpan(span, opts));
    const text = JSON.stringify(d);
    expect(text).not.toContain('hunter2-super-secret');
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('S3cretPassw0rd');
    expect((d.args as { city: string }).city).toBe('Paris');
  });

  it('records the secret types (never values) the emitter and the re-redaction found', () => {
    const clean = draftOf(normalizeSpan(toolSpan({ args: { city: 'Paris' } }), opts));
    expect(clean.redaction_types).toBeNull();

    const span = toolSpan({
      args: { note: 'key AKIAQ3EXAMPLEW7KZ2PM' },
      extra: { [ATTR_MCPTRAIL_REDACTION_TYPES]: ['jwt', 'not a type!', 42 as unknown as string] },
    });
    const d = draftOf(normalizeSpan(span, opts));
    expect(d.redaction_types).toEqual(expect.arrayContaining(['jwt', 'aws_access_key']));
    expect(d.redaction_types).not.toContain('not a type!');
    expect(JSON.stringify(d)).not.toContain('AKIAQ3EXAMPLEW7KZ2PM');

    const merged = mergeSpanAndLog({ ...d, redaction_types: ['jwt'] }, { ...d, source: 'log', redaction_types: ['email'] });
    expect(merged.redaction_types).toEqual(['email', 'jwt']);
  });

  it('caps sizes: huge arguments become a marker, long text is truncated', () => {
    const big = { blob: 'x'.repeat(40_000) };
    const d = draftOf(normalizeSpan(toolSpan({ args: big, extra: { [ATTR_MCP_ERROR_MESSAGE]: 'e'.repeat(5000) } }), { ...opts, maxArgsBytes: 1024 }));
    expect(d.args).toMatchObject({ $truncated: true });
    expect(d.error_message!.length).toBeLessThanOrEqual(1001);
  });

  it('keeps arguments that are not JSON as (redacted) text', () => {
    const s = toolSpan();
    s.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = 'not json {';
    expect(draftOf(normalizeSpan(s, opts)).args).toBe('not json {');
  });
});

describe('normalizeLog', () => {
  it('maps an mcp.audit.tool_call record; waits for its span when sampled', () => {
    const log = auditLog({ args: { city: 'Oslo' } });
    const n = normalizeLog(log, opts);
    expect(n).toMatchObject({ kind: 'draft', sealNow: false });
    expect(draftOf(n)).toMatchObject({
      source: 'log',
      method: 'tools/call',
      tool: 'get_weather',
      args: { city: 'Oslo' },
      outcome: 'ok',
      duration_ms: 12.5,
      result: { content_count: 1, content_types: ['text'], size: 64, is_error: false },
      trace_id: log.traceId,
      span_id: log.spanId,
    });
  });

  it('seals at once without trace context or when unsampled', () => {
    expect(normalizeLog(auditLog({ flags: 0 }), opts)).toMatchObject({ sealNow: true });
    expect(normalizeLog(auditLog({ traceId: null as unknown as string, spanId: null as unknown as string }), opts)).toMatchObject({ sealNow: true });
  });

  it('ignores other log records, rejects audit records without a method', () => {
    const other = auditLog();
    other.eventName = 'something.else';
    expect(normalizeLog(other, opts)).toEqual({ kind: 'ignored' });
    const noMethod = auditLog();
    delete noMethod.attributes[ATTR_MCP_METHOD_NAME];
    expect(normalizeLog(noMethod, opts)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining("'mcp.method.name'") });
  });

  it('falls back to the event.name attribute', () => {
    const log = auditLog();
    log.eventName = null;
    log.attributes[ATTR_EVENT_NAME] = EVENT_MCP_AUDIT_TOOL_CALL;
    expect(normalizeLog(log, opts).kind).toBe('draft');
  });
});
