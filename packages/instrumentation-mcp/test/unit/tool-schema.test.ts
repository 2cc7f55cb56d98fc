/**
 * Tool schema versions are SHA-256 over the RFC 8785 (JCS) canonical JSON of the advertised tool: the same
 * definition fingerprints the same on both ends whatever the key order or number spelling, including JSON
 * Schema 2020-12 `$ref`/`$defs` (2026-07-28 tools), and any change to what a `$ref` points at changes it.
 */
import { describe, expect, it } from 'vitest';
import { toolSchemaVersion } from '../../src/tool-schema';

const withRef = {
  name: 'book_trip',
  description: 'Books a trip',
  inputSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { from: { $ref: '#/$defs/place' }, to: { $ref: '#/$defs/place' }, seats: { type: 'integer', maximum: 9 } },
    required: ['from', 'to'],
    $defs: { place: { type: 'object', properties: { city: { type: 'string' }, country: { type: 'string' } } } },
  },
};

describe('tool schema versions (RFC 8785 canonical JSON)', () => {
  it('ignore key order and number spelling, through $ref and $defs', () => {
    // The same definition as a peer might serialise it: every object's keys reversed, 9 spelt 9.0e0.
    const reordered = JSON.parse(
      '{"inputSchema":{"$defs":{"place":{"properties":{"country":{"type":"string"},"city":{"type":"string"}},"type":"object"}},' +
        '"required":["from","to"],"properties":{"seats":{"maximum":9.0e0,"type":"integer"},"to":{"$ref":"#/$defs/place"},' +
        '"from":{"$ref":"#/$defs/place"}},"type":"object","$schema":"https://json-schema.org/draft/2020-12/schema"},' +
        '"description":"Books a trip","name":"book_trip"}',
    );
    expect(toolSchemaVersion(reordered)).toBe(toolSchemaVersion(withRef));
    expect(toolSchemaVersion(withRef)).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it('change when what a $ref points at changes, although no property changed', () => {
    const changed = structuredClone(withRef);
    (changed.inputSchema.$defs.place.properties as Record<string, unknown>)['passport'] = { type: 'string' };
    expect(toolSchemaVersion(changed)).not.toBe(toolSchemaVersion(withRef));
  });

  it('change when a $ref is retargeted', () => {
    const changed = structuredClone(withRef);
    changed.inputSchema.properties.to = { $ref: '#/$defs/elsewhere' };
    expect(toolSchemaVersion(changed)).not.toBe(toolSchemaVersion(withRef));
  });
});
