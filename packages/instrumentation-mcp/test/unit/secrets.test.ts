import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks, SECRET_CORPUS, secretArgs } from '../../../redact/test/fixtures/secret-corpus';
import { createHarness, isolate, loadSdk, settle } from './helpers/harness';

const h = createHarness();
const sdk = loadSdk('current', h.instrumentation);
const secrets = SECRET_CORPUS.map((s) => s.value);
const allSecretsText = secrets.join(' | ');

/** Every byte our telemetry would export: span names, attributes, events, statuses, log bodies and attributes. */
function exported(): string {
  return JSON.stringify({
    spans: h.spans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    logs: h.logs().map((l) => ({ body: l.body, attributes: l.attributes, event: l.eventName })),
  });
}

/** Like an HTTP transport: every incoming message carries request headers and an authInfo with a token. */
function withHeadersAndToken(transport: { onmessage?: unknown }) {
  let handler: ((message: unknown, extra?: Record<string, unknown>) => void) | undefined;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => handler,
    set(fn: ((message: unknown, extra?: Record<string, unknown>) => void) | undefined) {
      handler =
        fn &&
        ((message, extra) =>
          context.with(ROOT_CONTEXT, () =>
            fn(message, {
              ...extra,
              authInfo: { token: secrets[0], clientId: 'agent-1', scopes: ['tools'] },
              requestInfo: {
                headers: {
                  authorization: `Bearer ${secrets[0]}`,
                  'x-api-key': secrets[1],
                  cookie: `session=${secrets[2]}`,
                  'mcp-protocol-version': '2025-06-18',
                },
              },
            }),
          ));
    },
  });
}

afterAll(() => h.instrumentation.disable());

describe('no secret reaches exported telemetry', () => {
  beforeEach(() => h.reset());

  it.each([
    ['defaults', {}],
    ['captureArguments and captureResults on', { captureArguments: true, captureResults: true, clientAudit: 'all' as const }],
  ])('with %s', async (_label, config) => {
    expect(SECRET_CORPUS.length).toBeGreaterThanOrEqual(30);
    h.instrumentation.setConfig(config);
    const { z } = sdk;
    // A distinct server name per case: definition records are emitted once per (server, tool, version).
    const server = new sdk.McpServer({ name: `leaky ${_label}`, version: '1' });
    server.tool('store', `Stores things. Admin key: ${secrets[1]}`, { payload: z.any() }, async () => ({
      content: [{ type: 'text', text: `stored; echo: ${allSecretsText}` }],
    }));
    server.tool('explode', 'Throws', async () => {
      throw new Error(`could not connect with ${allSecretsText}`);
    });
    server.resource('doc', `file:///doc?token=${secrets[0]}`, async (uri: URL) => ({ contents: [{ uri: uri.href, text: allSecretsText }] }));
    server.prompt('p', 'Prompt', { a: z.string() }, ({ a }: { a: string }) => {
      throw new sdk.types.McpError(-32602, `bad prompt argument ${a}`);
    });

    const [clientTransport, serverTransport] = sdk.InMemoryTransport.createLinkedPair();
    isolate(clientTransport);
    withHeadersAndToken(serverTransport);
    await server.connect(serverTransport);
    const client = new sdk.Client({ name: 'agent', version: '1' });
    await client.connect(clientTransport);

    const nested = { level1: { level2: { items: SECRET_CORPUS.map((s) => ({ [s.kind]: s.value })) } }, ...secretArgs() };
    await client.callTool({ name: 'store', arguments: { payload: nested } });
    await client.callTool({ name: 'explode', arguments: {} });
    await client.listTools();
    await client.readResource({ uri: `file:///doc?token=${secrets[0]}` });
    await expect(client.getPrompt({ name: 'p', arguments: { a: allSecretsText } })).rejects.toThrow();
    await settle();
    await settle();

    const text = exported();
    // The test must see the telemetry it checks: tool calls, errors, definitions and the resource read.
    expect(h.spans().length).toBeGreaterThanOrEqual(10);
    expect(text).toContain('tools/call store');
    expect(text).toContain('mcp.audit.tool_definition');
    expect(text).toContain('agent-1');
    expect(findLeaks(text)).toEqual([]);
    expect(text).not.toContain('hunter2');
    await client.close();
  });
});
