/**
 * MCPTRAIL_SCRUB_ALL (default on) puts the redacting processors first in the chains,
 * so spans from any library are scrubbed; turning it off is the control that proves
 * the leak check sees a leak.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../helpers/otlp-receiver';
import { killAll, otlpEnv, REQUIRE_REGISTER, spawnNode } from '../helpers/processes';
import { secretPlacements } from '../helpers/secrets';

describe('MCPTRAIL_SCRUB_ALL: the redacting processors scrub spans we did not create', () => {
  const receiver = new OtlpReceiver();
  beforeAll(() => receiver.start());
  afterAll(async () => {
    killAll();
    await receiver.close();
  });
  const secrets = secretPlacements();
  const script =
    "const s = require('@opentelemetry/api').trace.getTracer('other-lib').startSpan('other work'); s.setAttribute('http.request.header.authorization', process.env.FIXTURE_SECRET_TEXT); s.setAttribute('note', process.env.FIXTURE_SECRET_TEXT); s.end();";

  async function run(service: string, scrubAll: string): Promise<Buffer> {
    const done = await spawnNode(
      [...REQUIRE_REGISTER, '-e', script],
      otlpEnv(receiver.url, {
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        MCPTRAIL_SCRUB_ALL: scrubAll,
        FIXTURE_SECRET_TEXT: secrets.errorText,
      }),
      30_000,
    ).finished;
    expect(done.code).toBe(0);
    await receiver.waitFor(
      () => receiver.spans().some((s) => s.resource['service.name'] === service),
      10_000,
      `${service} span`,
    );
    return Buffer.concat(
      receiver.requests.filter((r) => r.body.includes(Buffer.from(service))).map((r) => r.body),
    );
  }

  it('by default: no secret leaves the process', async () => {
    expect(secrets.findLeaks(await run('scrub-on', 'true'))).toEqual([]);
  });

  it('control: with MCPTRAIL_SCRUB_ALL=false the same bytes do leak, and the check sees them', async () => {
    expect(secrets.findLeaks(await run('scrub-off', 'false')).length).toBeGreaterThan(0);
  });
});
