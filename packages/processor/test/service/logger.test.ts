import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => lines.push(s) } };
}

describe('logger', () => {
  it('writes one JSON object per line with level, msg, bound and call fields', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info', redactor: null, stream, clock: () => 0 }).child({ component: 'receiver' });
    log.info('listening', { port: 4318 });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'listening', component: 'receiver', port: 4318 });
  });

  it('passes message and every field value through the redactor', () => {
    const { lines, stream } = capture();
    const redactor = (v: unknown): unknown =>
      typeof v === 'string' ? v.replace(/sk-[a-z0-9]+/g, '[REDACTED]') : v && typeof v === 'object' ? JSON.parse(JSON.stringify(v).replace(/sk-[a-z0-9]+/g, '[REDACTED]')) : v;
    const log = createLogger({ redactor, stream });
    log.error('failed with sk-abc123', { err: new Error('token sk-def456 rejected'), nested: { a: ['sk-ghi789'] } });
    expect(lines.join('')).not.toMatch(/sk-[a-z0-9]+/);
    const line = JSON.parse(lines[0]!);
    expect(line.err).toEqual({ type: 'Error', message: 'token [REDACTED] rejected' });
  });

  it('fails closed when the redactor throws, and survives bigint, cycles and a broken stream', () => {
    const { lines, stream } = capture();
    const cyc: Record<string, unknown> = { n: 1n };
    cyc.self = cyc;
    createLogger({ redactor: null, stream }).warn('x', { cyc });
    expect(JSON.parse(lines[0]!).cyc).toEqual({ n: '1', self: '[Circular]' });
    createLogger({ redactor: () => { throw new Error('no'); }, stream }).warn('y', { v: 'secret' });
    expect(lines[1]).not.toContain('secret');
    expect(() => createLogger({ redactor: null, stream: { write: () => { throw new Error('EPIPE'); } } }).info('z')).not.toThrow();
  });

  it('rejects an unknown level naming it', () => {
    expect(() => createLogger({ level: 'loud' as never, redactor: null })).toThrow(/'loud'/);
  });
});
