import { describe, expect, it } from 'vitest';
import { HTTP_ERRORS, ReceiverError } from '../../src/http/errors';
import { createReceiver } from '../../src/http/receiver';
import { silentLogger } from '../../src/logger';
import { OTLP_ERRORS } from '../../src/otlp/errors';
import { RecordingSink } from './helpers';

describe('receiver error codes', () => {
  it('are stable MCPTRAIL_ names, each with one home, an HTTP status and a gRPC code', () => {
    const all = { ...OTLP_ERRORS, ...HTTP_ERRORS };
    expect(Object.keys(all).length).toBe(Object.keys(OTLP_ERRORS).length + Object.keys(HTTP_ERRORS).length);
    for (const [code, info] of Object.entries(all)) {
      expect(code).toMatch(/^MCPTRAIL_(OTLP|HTTP)_[A-Z_]+$/);
      expect(info.summary.length).toBeGreaterThan(10);
      if (code !== 'MCPTRAIL_HTTP_TLS_FILES') expect(info.status).toBeGreaterThanOrEqual(400);
      const err = new ReceiverError(code as keyof typeof all, 'm');
      expect(err.statusCode).toBe(info.status);
      expect(err.grpcCode).toBe(info.grpc);
    }
  });

  it('invalid receiver options name the option', () => {
    const make = (extra: object) => () => createReceiver({ sink: new RecordingSink(), logger: silentLogger, ...extra });
    expect(make({ maxBodyBytes: 0 })).toThrow('receiver maxBodyBytes must be a positive number; got 0');
    expect(make({ timeouts: { requestMs: -1 } })).toThrow('receiver timeouts.requestMs must be a positive number; got -1');
  });
});
