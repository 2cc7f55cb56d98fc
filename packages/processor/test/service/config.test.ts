import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configKeys, loadConfig, SETTING_SOURCES } from '../../src/config';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-config-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults: loopback 4318, 8 MiB body cap, ./mcptrail.db', () => {
    const cfg = loadConfig();
    expect(cfg.receiver).toMatchObject({ host: '127.0.0.1', port: 4318, max_body_bytes: 8 * 1024 * 1024, token: null });
    expect(cfg.store.path).toBe('./mcptrail.db');
    expect(cfg.sinks.webhook.url).toBeNull();
  });

  it('precedence: flags > env > file > defaults', () => {
    const f = file('prec.yaml', 'receiver:\n  port: 1000\n  host: 10.0.0.1\n  token: t\nstore:\n  path: /from/file.db\nlog_level: warn\n');
    const cfg = loadConfig({
      file: f,
      env: { MCPTRAIL_PORT: '2000', MCPTRAIL_DB: '/from/env.db' },
      flags: { port: '3000' },
    });
    expect(cfg.receiver.port).toBe(3000);
    expect(cfg.store.path).toBe('/from/env.db');
    expect(cfg.receiver.host).toBe('10.0.0.1');
    expect(cfg.log_level).toBe('warn');
    expect(cfg.receiver.max_body_bytes).toBe(8 * 1024 * 1024);
  });

  it('names the file and key of an invalid value', () => {
    const f = file('config.yaml', 'receiver:\n  max_body_bytes: -5\n');
    const err = errorOf(() => loadConfig({ file: f }));
    expect(err.code).toBe('MCPTRAIL_ERR_CONFIG_INVALID');
    expect(err.message).toBe("config.yaml: 'receiver.max_body_bytes' must be a positive integer");
  });

  it('names an unknown key', () => {
    const f = file('typo.yaml', 'receiver:\n  prot: 1\n');
    expect(errorOf(() => loadConfig({ file: f })).message).toBe("typo.yaml: unknown key 'receiver.prot'");
  });

  it('names the env var or flag that supplied a bad value', () => {
    expect(errorOf(() => loadConfig({ env: { MCPTRAIL_PORT: 'eighty' } })).message).toBe(
      "MCPTRAIL_PORT ('receiver.port') must be an integer from 0 to 65535",
    );
    expect(errorOf(() => loadConfig({ flags: { 'retention-days': '0' } })).message).toMatch(/^--retention-days \('trail.retention_days'\) must be a positive integer/);
  });

  it('reports unreadable files and YAML syntax errors with their own codes', () => {
    expect(errorOf(() => loadConfig({ file: path.join(dir, 'missing.yaml') })).code).toBe('MCPTRAIL_ERR_CONFIG_FILE_UNREADABLE');
    const bad = file('bad.yaml', 'receiver:\n  port: [1,\n');
    const err = errorOf(() => loadConfig({ file: bad }));
    expect(err.code).toBe('MCPTRAIL_ERR_CONFIG_FILE_SYNTAX');
    expect(err.message).toMatch(/^.*bad\.yaml: not valid YAML at line \d+/);
    expect(errorOf(() => loadConfig({ file: file('list.yaml', '- a\n') })).message).toMatch(/top level must be a map/);
  });

  it('requires a webhook secret with a webhook url and both TLS files together', () => {
    expect(errorOf(() => loadConfig({ env: { MCPTRAIL_WEBHOOK_URL: 'http://127.0.0.1:9/x' } })).message).toMatch(/'sinks.webhook.secret' is required/);
    expect(errorOf(() => loadConfig({ flags: { 'tls-cert': '/c.pem' } })).message).toMatch(/tls_key_file' must be set together/);
  });

  it('refuses credentials in the webhook URL', () => {
    const err = errorOf(() => loadConfig({ env: { MCPTRAIL_WEBHOOK_URL: 'https://u:pw@hooks.example.com/x', MCPTRAIL_WEBHOOK_SECRET: 's' } }));
    expect(err.message).toMatch(/^MCPTRAIL_WEBHOOK_URL \('sinks.webhook.url'\) must not contain user:password/);
    expect(err.message).not.toContain('pw@');
  });

  it('parses OTLP headers and booleans from the environment', () => {
    const cfg = loadConfig({ env: { MCPTRAIL_OTLP_HEADERS: 'api-key=a%20b, x=1', MCPTRAIL_STDOUT_ALERTS: 'true' } });
    expect(cfg.sinks.otlp.headers).toEqual({ 'api-key': 'a b', x: '1' });
    expect(cfg.sinks.stdout.alerts).toBe(true);
  });

  it('every env/flag source targets a real key', () => {
    const keys = new Set(configKeys().map((k) => k.key));
    for (const s of SETTING_SOURCES) expect(keys.has(s.key), s.key).toBe(true);
  });
});
