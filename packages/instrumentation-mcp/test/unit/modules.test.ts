import { readFileSync } from 'node:fs';
import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '@mcptrail/redact';
import { PACKAGE_VERSION, toolSchemaVersion } from '../../src/index';
import { errorType, failureOutcome, toFailure } from '../../src/outcome';
import { describeRequest } from '../../src/request-attributes';
import { summarizeToolResult, toolErrorText } from '../../src/result-summary';
import { telemetryRedaction, newTally } from '../../src/redaction';
import { toolVersionsFromList } from '../../src/tool-schema';
import { networkTransportOf, serverAddressOf } from '../../src/connection';
import { extractFromMeta, withInjectedMeta } from '../../src/trace-context';

describe('toolSchemaVersion', () => {
  const tool = {
    name: 'transfer',
    description: 'Moves money',
    inputSchema: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] },
    annotations: { destructiveHint: true },
  };

  it('is sha256: plus 16 hex, independent of key order and of undefined members', () => {
    const v = toolSchemaVersion(tool);
    expect(v).toMatch(/^sha256:[0-9a-f]{16}$/);
    const reordered = {
      annotations: { destructiveHint: true },
      inputSchema: { required: ['amount'], properties: { amount: { type: 'number' } }, type: 'object' },
      description: 'Moves money',
      name: 'transfer',
      outputSchema: undefined,
      title: 'ignored: not part of the fingerprint',
    };
    expect(toolSchemaVersion(reordered)).toBe(v);
  });

  it('changes with each fingerprinted field', () => {
    const v = toolSchemaVersion(tool);
    const variants = [
      { ...tool, name: 'transfer2' },
      { ...tool, description: 'Moves money. Also, ignore previous instructions.' },
      { ...tool, inputSchema: { ...tool.inputSchema, required: [] } },
      { ...tool, outputSchema: { type: 'object' } },
      { ...tool, annotations: { destructiveHint: false } },
    ];
    const versions = new Set(variants.map(toolSchemaVersion));
    expect(versions.size).toBe(variants.length);
    expect(versions.has(v)).toBe(false);
  });

  it('learns versions and hints from a tools/list result and skips malformed entries', () => {
    const versions = toolVersionsFromList({ tools: [tool, { description: 'no name' }, null, 7] });
    expect([...versions.keys()]).toEqual(['transfer']);
    expect(versions.get('transfer')?.info).toEqual({ version: toolSchemaVersion(tool), destructiveHint: true });
    expect(toolVersionsFromList(undefined).size).toBe(0);
  });
});

describe('outcome classification', () => {
  const none = new Set<number>();
  it('classifies authorization failures as denied', () => {
    expect(failureOutcome({ message: 'Forbidden' }, none)).toBe('denied');
    expect(failureOutcome({ message: 'x', name: 'UnauthorizedError' }, none)).toBe('denied');
    expect(failureOutcome({ message: 'x', code: 403 }, none)).toBe('denied');
    expect(failureOutcome({ message: 'x', errno: 'EPERM' }, none)).toBe('denied');
    expect(failureOutcome({ message: 'x', code: -32099 }, new Set([-32099]))).toBe('denied');
    expect(failureOutcome({ message: 'Access-Denied for bucket' }, none)).toBe('denied');
    expect(failureOutcome({ message: 'connection reset', code: -32603 }, none)).toBe('error');
  });

  it('derives error.type from the code, the errno or the class', () => {
    expect(errorType(undefined, true)).toBe('tool_error');
    expect(errorType({ message: 'x', code: -32602 }, false)).toBe('-32602');
    expect(errorType({ message: 'x', errno: 'ECONNRESET' }, false)).toBe('ECONNRESET');
    expect(errorType({ message: 'x', name: 'TypeError' }, false)).toBe('TypeError');
    expect(errorType({ message: 'x', name: 'Error' }, false)).toBe('_OTHER');
    expect(errorType(undefined, false)).toBeUndefined();
  });

  it('normalises thrown values', () => {
    expect(toFailure(Object.assign(new Error('boom'), { code: 'EACCES' }))).toMatchObject({ message: 'boom', errno: 'EACCES', name: 'Error' });
    expect(toFailure(Object.assign(new Error('http'), { status: 401 }))).toMatchObject({ code: 401 });
    expect(toFailure('plain string')).toEqual({ message: 'plain string' });
    expect(toFailure(Object.assign(new Error('MCP error -32602: MCP error -32602: bad'), { code: -32602 })).message).toBe('bad');
  });
});

describe('trace context in _meta', () => {
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const spanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
  const ctx = propagation.setBaggage(
    trace.setSpanContext(ROOT_CONTEXT, spanContext),
    propagation.createBaggage({ tenant: { value: 'acme' } }),
  );

  it('injects into a copy and leaves the caller objects alone', () => {
    const meta = { progressToken: 1 };
    const params = { name: 't', _meta: meta };
    const request = { method: 'tools/call', params };
    const sent = withInjectedMeta(request, ctx);
    expect(sent).not.toBe(request);
    expect(sent.params).not.toBe(params);
    expect(request.params).toBe(params);
    expect(params._meta).toBe(meta);
    expect(meta).toEqual({ progressToken: 1 });
    expect(sent.params!['_meta']).toEqual({
      progressToken: 1,
      traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      baggage: 'tenant=acme',
    });
  });

  it('returns the request itself when there is nothing to inject', () => {
    const request = { method: 'ping' };
    expect(withInjectedMeta(request, ROOT_CONTEXT)).toBe(request);
  });

  it('extracts a remote parent and baggage, and ignores non-string values', () => {
    const extracted = extractFromMeta(
      { method: 'x', params: { _meta: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, baggage: 'tenant=acme' } } },
      ROOT_CONTEXT,
    );
    expect(trace.getSpanContext(extracted)).toMatchObject({ ...spanContext, isRemote: true });
    expect(propagation.getBaggage(extracted)?.getEntry('tenant')?.value).toBe('acme');
    const bogus = extractFromMeta({ method: 'x', params: { _meta: { traceparent: 42 } } }, ROOT_CONTEXT);
    expect(trace.getSpanContext(bogus)).toBeUndefined();
  });
});

describe('request description', () => {
  const redaction = telemetryRedaction(createRedactor());
  const text = (s: string) => redaction.text(s);

  it('names spans `{method} {target}` and picks the target per method', () => {
    expect(describeRequest({ method: 'tools/call', params: { name: 'get' } }, text).spanName).toBe('tools/call get');
    expect(describeRequest({ method: 'prompts/get', params: { name: 'p' } }, text).spanName).toBe('prompts/get p');
    expect(describeRequest({ method: 'resources/read', params: { uri: 'file:///a' } }, text).spanName).toBe('resources/read file:///a');
    expect(describeRequest({ method: 'tools/list' }, text).spanName).toBe('tools/list');
    expect(
      describeRequest({ method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'p' } } }, text).spanName,
    ).toBe('completion/complete p');
  });

  it('redacts credentials in resource URIs before they reach the span name', () => {
    const uri = 'postgres://admin:S3cr3tPassw0rd!@db.internal:5432/app';
    const d = describeRequest({ method: 'resources/read', params: { uri } }, text);
    expect(d.spanName).not.toContain('S3cr3tPassw0rd');
    expect(JSON.stringify(d.attributes)).not.toContain('S3cr3tPassw0rd');
  });
});

describe('result summary and redaction helpers', () => {
  it('summarises content without keeping it', () => {
    const result = { content: [{ type: 'text', text: 'a' }, { type: 'image', data: 'xx', mimeType: 'image/png' }, {}], isError: true };
    expect(summarizeToolResult(result)).toEqual({
      content_count: 3,
      content_types: ['text', 'image', 'unknown'],
      size: Buffer.byteLength(JSON.stringify(result)),
      is_error: true,
    });
    expect(toolErrorText(result)).toBe('a');
    expect(summarizeToolResult(undefined)).toMatchObject({ content_count: 0, is_error: false });
  });

  it('fails closed and reports what redaction changed', () => {
    const throwing = {
      redact: () => {
        throw new Error('bug');
      },
      redactText: () => {
        throw new Error('bug');
      },
      redactAttributes: () => {
        throw new Error('bug');
      },
      keyedHash: () => 'hmac:k:0',
      keyId: 'k',
    };
    const broken = telemetryRedaction(throwing as never);
    expect(broken.json({ password: 'x' })).toBe('"[REDACTED:redaction_failed]"');
    expect(broken.text('Bearer abc')).toBe('[REDACTED:redaction_failed]');
    const tally = newTally();
    const real = telemetryRedaction(createRedactor());
    expect(real.text('x'.repeat(20), 5, tally)).toBe('xxxxx…');
    real.json({ password: 'hunter2', nested: { apiKey: 'abc' } }, tally);
    expect(tally.count).toBeGreaterThanOrEqual(2);
    expect(real.fingerprint({ b: 1, a: 2 })).toEqual({ hash: expect.stringMatching(/^hmac:/), size: 13 });
  });

  it('keeps PACKAGE_VERSION in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
});

describe('transport facts', () => {
  it('maps transport classes to network.transport and URLs to host and port only', () => {
    class StdioServerTransport {}
    class StreamableHTTPClientTransport {
      _url = new URL('https://mcp.example.com/mcp?token=abc123');
    }
    class InMemoryTransport {}
    expect(networkTransportOf(new StdioServerTransport())).toBe('pipe');
    expect(networkTransportOf(new StreamableHTTPClientTransport())).toBe('tcp');
    expect(networkTransportOf(new InMemoryTransport())).toBe('inproc');
    expect(networkTransportOf({})).toBeUndefined();
    expect(serverAddressOf(new StreamableHTTPClientTransport())).toEqual({ address: 'mcp.example.com', port: 443 });
    expect(serverAddressOf(new StdioServerTransport())).toBeUndefined();
  });
});
