/**
 * A request the SDK aborts never sends a response: its SERVER span and audit record must still end, when the
 * client cancels (`notifications/cancelled`) and when the connection closes mid-call. One wrap of the SDK's
 * cancel and close paths does it (no listener per request). Control: a call that completes ends `ok`.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ATTR_ERROR_TYPE, ATTR_MCP_AUDIT_OUTCOME, EVENT_MCP_AUDIT_TOOL_CALL } from '@mcptrail/conventions';
import { connectPair, createHarness, loadSdk, settle } from './helpers/harness';

const h = createHarness();
afterAll(() => h.instrumentation.disable());

describe.each(['current', 'oldest'] as const)('SDK %s: aborted requests', (which) => {
  const sdk = loadSdk(which, h.instrumentation);
  let release: () => void = () => {};

  function buildServer() {
    const server = new sdk.McpServer({ name: 'slow', version: '1' });
    server.tool('wait', 'Waits until released', async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { content: [{ type: 'text', text: 'done' }] };
    });
    return server;
  }
  const serverSpans = () => h.spans().filter((s) => s.name === 'tools/call wait' && s.kind === SpanKind.SERVER);
  const records = () => h.logs().filter((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && l.attributes['mcp.side'] === 'server');
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  };

  beforeEach(() => h.reset());

  it('client cancels: the server span ends as cancelled, with its audit record', async () => {
    const { client, close } = await connectPair(sdk, buildServer());
    const controller = new AbortController();
    const call = client.callTool({ name: 'wait', arguments: {} }, undefined, { signal: controller.signal }).catch((e: unknown) => e);
    await until(() => h.spans().some((s) => s.name === 'tools/call wait') || release !== undefined);
    await new Promise((r) => setTimeout(r, 20));
    controller.abort('user stopped');
    await call;
    await until(() => serverSpans().length > 0);
    expect(serverSpans()).toHaveLength(1);
    expect(serverSpans()[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(serverSpans()[0]!.attributes[ATTR_ERROR_TYPE]).toBe('cancelled');
    expect(records().map((r) => r.attributes[ATTR_MCP_AUDIT_OUTCOME])).toEqual(['error']);
    release();
    await settle();
    expect(serverSpans()).toHaveLength(1);
    await close();
  });

  it('connection closes mid-call: the server span ends', async () => {
    const { client } = await connectPair(sdk, buildServer());
    const call = client.callTool({ name: 'wait', arguments: {} }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    await client.close();
    await call;
    await until(() => serverSpans().length > 0);
    expect(serverSpans()).toHaveLength(1);
    expect(serverSpans()[0]!.attributes[ATTR_ERROR_TYPE]).toBe('cancelled');
    release();
    await settle();
  });

  it('control: a call that completes ends ok', async () => {
    const { client, close } = await connectPair(sdk, buildServer());
    const call = client.callTool({ name: 'wait', arguments: {} });
    await new Promise((r) => setTimeout(r, 20));
    expect(serverSpans()).toHaveLength(0);
    release();
    await call;
    await settle();
    expect(serverSpans()).toHaveLength(1);
    expect(serverSpans()[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(records().map((r) => r.attributes[ATTR_MCP_AUDIT_OUTCOME])).toEqual(['ok']);
    await close();
  });
});
