import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_ERROR_MESSAGE,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_TOOL_RESULT_CONTENT_TYPES,
  type AuditRecord,
} from '@mcptrail/conventions';
import { SECRET_CORPUS, findLeaks, secretArgs } from '../../../redact/test/fixtures/secret-corpus';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { openSqliteStore } from '../../src/store/sqlite';
import { STATUS_CODE } from '../../src/otlp/types';
import { auditLog, hex, logs, memoryLogger, toolSpan, traces } from './fixtures';
import { testRedactor } from './redactor';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-secrets-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('secrets never reach the trail', () => {
  it('a secret corpus in arguments, error text, URIs and identity fields is absent from the SQLite file, the records and the logs', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const store = openSqliteStore({ path: dbPath });
    const logger = memoryLogger();
    const pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer: loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)), logger });
    const emitted: AuditRecord[] = [];
    pipeline.onSealed((r) => void emitted.push(...r));

    for (const [i, { value }] of SECRET_CORPUS.entries()) {
      const traceId = hex(16);
      const spanId = hex(8);
      // Every free-text attribute carries a secret, as a misconfigured or hostile emitter might send.
      const extra = {
        [ATTR_MCP_ERROR_MESSAGE]: `upstream failed: ${value}`,
        [ATTR_MCP_RESOURCE_URI]: `https://files.example.com/x?sig=${value}`,
        [ATTR_MCP_SESSION_ID]: value,
        [ATTR_ENDUSER_ID]: value,
        [ATTR_ENDUSER_SCOPE]: [`scope ${value}`],
        [ATTR_MCP_CLIENT_NAME]: `client ${value}`,
        [ATTR_CLIENT_ADDRESS]: value,
        [ATTR_ERROR_TYPE]: value,
        [ATTR_GEN_AI_PROMPT_NAME]: value,
        [ATTR_MCP_TOOL_RESULT_CONTENT_TYPES]: [value],
      };
      const span = toolSpan({ traceId, spanId, tool: `tool ${value}`, args: { i, secret: value, nested: secretArgs() }, extra });
      span.status = { code: STATUS_CODE.ERROR, message: `status ${value}` };
      await pipeline.traces(traces(span));
      // Half the calls also send the audit log record (args again), half a log record alone.
      if (i % 2 === 0) await pipeline.logs(logs(auditLog({ traceId, spanId, args: secretArgs(), extra })));
      else await pipeline.logs(logs(auditLog({ flags: 0, args: { value }, extra })));
    }
    await pipeline.close();
    expect(await store.count()).toBe(SECRET_CORPUS.length + Math.floor(SECRET_CORPUS.length / 2));

    const records = await store.query({ limit: 1000 });
    expect(findLeaks(JSON.stringify(records))).toEqual([]);
    expect(findLeaks(JSON.stringify(emitted))).toEqual([]);
    expect(findLeaks(JSON.stringify(logger.lines))).toEqual([]);
    // Innocuous data survives redaction.
    const withArgs = records.find((r) => r.source === 'span+log')!;
    expect(withArgs.args).toMatchObject({ city: 'Paris', max_tokens: 1024, order_id: 'ord_2026_000184' });

    await store.close();
    // The bytes on disk, including the WAL and free pages.
    for (const file of fs.readdirSync(dir)) {
      if (file.startsWith('trail.db') && !file.endsWith('.pem')) expect({ file, leaks: findLeaks(fs.readFileSync(path.join(dir, file))) }).toEqual({ file, leaks: [] });
    }
  });
});
