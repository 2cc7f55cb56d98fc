import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isWrapped } from '@opentelemetry/instrumentation';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_SIDE,
  ATTR_MCPTRAIL_REDACTION_COUNT,
  ATTR_MCPTRAIL_REDACTION_TYPES,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_MCP_TOOL_NAME,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  EVENT_MCP_AUDIT_TOOL_CALL,
  EVENT_MCP_TOOL_DEFINITION,
  EVENT_MCP_TOOLS_LIST_CHANGED,
} from '@mcptrail/conventions';
import { McpInstrumentation, McpInstrumentationError, type McpRequestHookInfo, type McpResponseHookInfo } from '../../src/index';
import { connectPair, createHarness, isolate, loadSdk, settle, spanOf, type Sdk } from './helpers/harness';

const h = createHarness();
const sdk = loadSdk('current', h.instrumentation);

function buildServer(s: Sdk, gate?: Promise<void>) {
  const server = new s.McpServer({ name: 'opts', version: '1' });
  server.tool('echo', 'Echo', { text: s.z.string(), password: s.z.string().optional() }, async ({ text }: { text: string }) => ({
    content: [{ type: 'text', text: `echo ${text}` }],
  }));
  server.tool('slow', 'Waits for the test', async () => {
    await gate;
    return { content: [] };
  });
  return server;
}

const auditRecords = (side?: string) =>
  h.logs().filter((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && (side === undefined || l.attributes[ATTR_MCP_SIDE] === side));

afterAll(() => h.instrumentation.disable());

beforeEach(() => {
  h.instrumentation.setConfig({});
  h.reset();
});

describe('hooks', () => {
  it('calls requestHook and responseHook on both sides with the request and the outcome', async () => {
    const requests: McpRequestHookInfo[] = [];
    const responses: McpResponseHookInfo[] = [];
    h.instrumentation.setConfig({
      requestHook: (span, info) => {
        requests.push(info);
        if (trace.getActiveSpan() !== span) throw new Error('requestHook not called in the span context');
        span.setAttribute('test.hooked', info.side);
      },
      responseHook: (span, info) => {
        responses.push(info);
        span.setAttribute('test.outcome', info.outcome);
      },
    });
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    await settle();
    const calls = responses.filter((r) => r.method === 'tools/call');
    expect(calls.map((r) => r.side).sort()).toEqual(['client', 'server']);
    for (const r of calls) {
      expect(r.outcome).toBe('ok');
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect((r.result as { content: unknown[] }).content).toHaveLength(1);
      expect(r.request.params?.['name']).toBe('echo');
    }
    expect(requests.some((r) => r.method === 'initialize' && r.side === 'server')).toBe(true);
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const span = spanOf(h.spans(), 'tools/call echo', kind);
      // Set after the context check above, so this also proves the hook ran in the span context.
      expect(span.attributes['test.hooked']).toBe(kind === SpanKind.CLIENT ? 'client' : 'server');
      expect(span.attributes['test.outcome']).toBe('ok');
    }
    await close();
  });

  it('survives hooks that throw', async () => {
    h.instrumentation.setConfig({
      requestHook: () => {
        throw new Error('request hook bug');
      },
      responseHook: () => {
        throw new Error('response hook bug');
      },
      ignoreRequestHook: () => {
        throw new Error('ignore hook bug');
      },
    });
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    const result = await client.callTool({ name: 'echo', arguments: { text: 'still works' } });
    expect(result.content[0].text).toBe('echo still works');
    await settle();
    // A throwing ignore hook counts as "do not ignore".
    expect(spanOf(h.spans(), 'tools/call echo', SpanKind.SERVER).status.code).toBe(SpanStatusCode.UNSET);
    await close();
  });

  it('records nothing for requests ignoreRequestHook rejects', async () => {
    h.instrumentation.setConfig({ ignoreRequestHook: (info) => info.method === 'ping' });
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    await client.ping();
    await client.listTools();
    await settle();
    expect(h.spans().filter((s) => s.attributes[ATTR_MCP_METHOD_NAME] === 'ping')).toHaveLength(0);
    expect(h.spans().filter((s) => s.attributes[ATTR_MCP_METHOD_NAME] === 'tools/list')).toHaveLength(2);
    await close();
  });
});

describe('capture options', () => {
  it('puts redacted arguments and results on spans only when asked', async () => {
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    const args = { text: 'Oslo', password: 'hunter2-correct-horse' };
    await client.callTool({ name: 'echo', arguments: args });
    await settle();
    let span = spanOf(h.spans(), 'tools/call echo', SpanKind.SERVER);
    expect(span.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
    expect(span.attributes[ATTR_GEN_AI_TOOL_CALL_RESULT]).toBeUndefined();

    h.reset();
    h.instrumentation.setConfig({ captureArguments: true, captureResults: true });
    await client.callTool({ name: 'echo', arguments: args });
    await settle();
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      span = spanOf(h.spans(), 'tools/call echo', kind);
      const captured = JSON.parse(String(span.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]));
      expect(captured.text).toBe('Oslo');
      expect(JSON.stringify(captured)).not.toContain('hunter2');
      expect(JSON.parse(String(span.attributes[ATTR_GEN_AI_TOOL_CALL_RESULT])).content[0].text).toBe('echo Oslo');
      expect(span.attributes[ATTR_MCPTRAIL_REDACTION_COUNT]).toBeGreaterThanOrEqual(1);
    }
    await close();
  });

  it('reports the secret types a result held without exporting it (scanResults, on by default)', async () => {
    const server = new sdk.McpServer({ name: 'scan', version: '1' });
    const awsKeyId = 'AKIAQ3EXAMPLEW7KZ2PM';
    server.tool('config', 'Returns a config blob', async () => ({
      content: [{ type: 'text', text: `region=eu-west-1\naws_access_key_id=${awsKeyId}` }],
    }));
    const { client, close } = await connectPair(sdk, server);
    await client.callTool({ name: 'config', arguments: {} });
    await settle();
    let span = spanOf(h.spans(), 'tools/call config', SpanKind.SERVER);
    expect(span.attributes[ATTR_GEN_AI_TOOL_CALL_RESULT]).toBeUndefined();
    expect(span.attributes[ATTR_MCPTRAIL_REDACTION_TYPES]).toEqual(expect.arrayContaining(['aws_access_key']));
    const exported = JSON.stringify([h.spans().map((x) => x.attributes), h.logs().map((l) => l.attributes)]);
    expect(exported).not.toContain(awsKeyId);

    h.reset();
    h.instrumentation.setConfig({ scanResults: false });
    await client.callTool({ name: 'config', arguments: {} });
    await settle();
    span = spanOf(h.spans(), 'tools/call config', SpanKind.SERVER);
    expect(span.attributes[ATTR_MCPTRAIL_REDACTION_TYPES]).toBeUndefined();
    await close();
  });

  it('leaves arguments out of audit records with auditArguments: false, and emits none with auditLogs: false', async () => {
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    h.instrumentation.setConfig({ auditArguments: false });
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await settle();
    const [rec] = auditRecords('server');
    expect(rec?.attributes[ATTR_MCP_AUDIT_OUTCOME]).toBe('ok');
    expect(rec?.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();

    h.reset();
    h.instrumentation.setConfig({ auditArguments: false, captureArguments: true });
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await settle();
    expect(spanOf(h.spans(), 'tools/call echo', SpanKind.SERVER).attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeDefined();
    expect(auditRecords('server')[0]?.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();

    h.reset();
    h.instrumentation.setConfig({ auditLogs: false });
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await settle();
    expect(h.logs()).toHaveLength(0);
    expect(h.spans().length).toBeGreaterThan(0);
    await close();
  });
});

describe('client-side audit records', () => {
  it('records a call that timed out before the server answered (clientAudit: undelivered)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { client, close } = await connectPair(sdk, buildServer(sdk, gate));
    h.reset();
    await expect(client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout: 20 })).rejects.toThrow(/timed out/i);
    release();
    await settle();
    const [rec] = auditRecords('client');
    expect(rec?.attributes[ATTR_MCP_AUDIT_OUTCOME]).toBe('error');
    expect(rec?.attributes[ATTR_ERROR_TYPE]).toBe('-32001');
    const span = spanOf(h.spans(), 'tools/call slow', SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    // A local timeout is not a JSON-RPC response code from the peer.
    expect(span.attributes[ATTR_RPC_RESPONSE_STATUS_CODE]).toBeUndefined();
    await close();
  });

  it('records a transport-level 403 as denied', async () => {
    const server = buildServer(sdk);
    const [clientTransport, serverTransport] = sdk.InMemoryTransport.createLinkedPair();
    const send = clientTransport.send.bind(clientTransport);
    clientTransport.send = async (message: { method?: string }, options?: unknown) => {
      if (message.method === 'tools/call') throw Object.assign(new Error('Streamable HTTP error: Forbidden'), { code: 403 });
      return send(message, options);
    };
    isolate(clientTransport);
    isolate(serverTransport);
    await server.connect(serverTransport);
    const client = new sdk.Client({ name: 'c', version: '1' });
    await client.connect(clientTransport);
    h.reset();
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(/Forbidden/);
    await settle();
    expect(auditRecords('server')).toHaveLength(0);
    const [rec] = auditRecords('client');
    expect(rec?.attributes[ATTR_MCP_AUDIT_OUTCOME]).toBe('denied');
    await client.close();
  });

  it('records every client tool call with clientAudit: all, and none with off', async () => {
    const { client, close } = await connectPair(sdk, buildServer(sdk, new Promise(() => undefined)));
    h.instrumentation.setConfig({ clientAudit: 'all' });
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await settle();
    expect(auditRecords('client')).toHaveLength(1);
    expect(auditRecords('server')).toHaveLength(1);
    h.reset();
    h.instrumentation.setConfig({ clientAudit: 'off' });
    await expect(client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout: 1 })).rejects.toThrow();
    await settle();
    expect(auditRecords('client')).toHaveLength(0);
    await close();
  });
});

describe('definitions and list changes', () => {
  it('emits client-side tool definition records with clientAudit: all, with the server version', async () => {
    h.instrumentation.setConfig({ clientAudit: 'all' });
    const server = new sdk.McpServer({ name: 'defs-client', version: '1' });
    server.tool('t1', 'First tool', async () => ({ content: [] }));
    const { client, close } = await connectPair(sdk, server);
    await settle();
    h.reset();
    await client.listTools();
    await settle();
    const defs = (side: string) =>
      h.logs().filter((l) => l.eventName === EVENT_MCP_TOOL_DEFINITION && l.attributes[ATTR_MCP_SIDE] === side);
    expect(defs('client').map((l) => l.attributes[ATTR_MCP_TOOL_NAME])).toEqual(['t1']);
    await client.callTool({ name: 't1', arguments: {} });
    await settle();
    const serverVersion = spanOf(h.spans(), 'tools/call t1', SpanKind.SERVER).attributes[ATTR_MCP_TOOL_SCHEMA_VERSION];
    expect(defs('client')[0]?.attributes[ATTR_MCP_TOOL_SCHEMA_VERSION]).toBe(serverVersion);
    await close();
  });

  it('adds a list_changed event to the span of the request that changed the tool list', async () => {
    const server = new sdk.McpServer({ name: 'grows', version: '1' });
    server.tool('grow', 'Registers another tool', async () => {
      server.tool(`grown_${Date.now()}`, 'Added at run time', async () => ({ content: [] }));
      return { content: [] };
    });
    const { client, close } = await connectPair(sdk, server);
    h.reset();
    await client.callTool({ name: 'grow', arguments: {} });
    await settle();
    const span = spanOf(h.spans(), 'tools/call grow', SpanKind.SERVER);
    expect(span.events.map((e) => e.name)).toContain(EVENT_MCP_TOOLS_LIST_CHANGED);
    await close();
  });
});

describe('configuration', () => {
  it('rejects invalid options with a typed error naming the option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ captureArguments: 'yes' }, 'captureArguments'],
      [{ clientAudit: 'sometimes' }, 'clientAudit'],
      [{ deniedErrorCodes: ['403'] }, 'deniedErrorCodes'],
      [{ maxErrorMessageLength: 0 }, 'maxErrorMessageLength'],
      [{ requestHook: 'not a function' }, 'requestHook'],
    ];
    for (const [config, field] of cases) {
      let error: unknown;
      try {
        new McpInstrumentation({ ...config, enabled: false } as never);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(McpInstrumentationError);
      expect((error as McpInstrumentationError).code).toBe('MCPTRAIL_ERR_INSTR_INVALID_OPTION');
      expect((error as Error).message).toContain(`'${field}'`);
    }
  });

  it('patchSdkModule refuses unknown module names and ignores exports without the class', () => {
    expect(() => h.instrumentation.patchSdkModule({}, 'client/index' as never)).toThrow(
      expect.objectContaining({ code: 'MCPTRAIL_ERR_INSTR_UNKNOWN_MODULE' }),
    );
    const empty = {};
    expect(h.instrumentation.patchSdkModule(empty, 'shared/protocol')).toBe(empty);
  });
});

describe('disable and enable', () => {
  it('restores the SDK on disable() and patches it again on enable()', async () => {
    const { Protocol } = createRequire(import.meta.url)('@modelcontextprotocol/sdk/shared/protocol.js');
    const { McpServer } = createRequire(import.meta.url)('@modelcontextprotocol/sdk/server/mcp.js');
    expect(isWrapped(Protocol.prototype.request)).toBe(true);
    h.instrumentation.disable();
    for (const name of ['request', '_onrequest', '_onresponse', 'setRequestHandler', 'notification', '_onnotification']) {
      expect(isWrapped(Protocol.prototype[name])).toBe(false);
    }
    expect(isWrapped(McpServer.prototype.sendToolListChanged)).toBe(false);
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await settle();
    expect(h.spans()).toHaveLength(0);
    expect(h.logs()).toHaveLength(0);

    h.instrumentation.enable();
    expect(isWrapped(Protocol.prototype.request)).toBe(true);
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await settle();
    expect(h.spans().filter((s) => s.name === 'tools/call echo')).toHaveLength(2);
    await close();
  });
});
