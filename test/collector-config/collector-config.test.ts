import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_RELEASE } from './known-components';
import { validateCollectorConfig } from './validate-collector-config';

const repoRoot = path.resolve(__dirname, '../..');
const configDir = path.join(repoRoot, 'collector-config');
const invalidDir = path.join(__dirname, 'invalid');
const configs = readdirSync(configDir).filter((f) => f.endsWith('.yaml'));
const twins = readdirSync(invalidDir).filter((f) => f.endsWith('.yaml'));

describe(`collector-config/*.yaml against ${SOURCE_RELEASE}`, () => {
  it('ships the three documented configs', () => {
    expect(configs.sort()).toEqual(['app-insights.yaml', 'otlp-backend.yaml', 'scale-out.yaml']);
  });

  it.each(configs)('%s is structurally valid', (file) => {
    expect(validateCollectorConfig(readFileSync(path.join(configDir, file), 'utf8'))).toEqual([]);
  });

  it('app-insights.yaml takes the connection string from the environment and redacts before export', () => {
    const text = readFileSync(path.join(configDir, 'app-insights.yaml'), 'utf8');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Collector env reference, not a JS template
    expect(text).toContain('connection_string: ${env:APPLICATIONINSIGHTS_CONNECTION_STRING}');
    expect(text).toMatch(/processors: \[memory_limiter, redaction, resource, batch\]/);
    expect(text).not.toMatch(/InstrumentationKey=[0-9a-f-]{36}/i);
  });

  it('otlp-backend.yaml gives every exporter a persistent queue', () => {
    const text = readFileSync(path.join(configDir, 'otlp-backend.yaml'), 'utf8');
    expect(text.match(/storage: file_storage\/queue/g)?.length).toBe(2);
  });

  it('scale-out.yaml routes by service over the load_balancing exporter', () => {
    const text = readFileSync(path.join(configDir, 'scale-out.yaml'), 'utf8');
    expect(text).toMatch(/load_balancing\/mcptrail:\n\s+#.*\n\s+routing_key: service/);
  });
});

describe('the validator fails on each invalid twin', () => {
  const base = readFileSync(path.join(__dirname, 'valid-base.yaml'), 'utf8');

  it('accepts the base the twins are derived from', () => {
    expect(validateCollectorConfig(base)).toEqual([]);
  });

  it('has one twin per rule', () => {
    expect(twins.length).toBeGreaterThanOrEqual(17);
  });

  it.each(twins)('%s is rejected with the expected message', (file) => {
    const text = readFileSync(path.join(invalidDir, file), 'utf8');
    const expected = /^# expect: (.+)$/m.exec(text)?.[1];
    expect(expected, 'twin must declare `# expect:`').toBeTruthy();
    const body = text.replace(/^#.*\n/gm, '');
    expect(body, 'twin must differ from the base').not.toBe(base);
    const errors = validateCollectorConfig(text);
    expect(errors.join('\n')).toContain(expected);
  });
});
