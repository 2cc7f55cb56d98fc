import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A loopback webhook receiver for the alert sink: calls `onAlert(alert, at)` for each delivery's `alert`, with
 * `at` the arrival time (`performance.now()`), and answers 204. Resolves once it listens on an ephemeral port.
 * @param {(alert: any, at: number) => void} onAlert
 * @returns {Promise<import('node:http').Server>}
 */
export async function startWebhookReceiver(onAlert) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (body.alert) onAlert(body.alert, at);
      } catch {}
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
