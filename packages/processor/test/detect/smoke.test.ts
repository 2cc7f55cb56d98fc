import { describe, expect, it } from 'vitest';
import { harness, normalTraffic, T0 } from './helpers';

describe('detector smoke', () => {
  it('loads the built-in rules and processes normal traffic without alerts', () => {
    const h = harness();
    expect(h.rules.rules.length).toBeGreaterThanOrEqual(12);
    const alerts = h.detector.process(normalTraffic(T0, 60));
    expect(alerts).toEqual([]);
    const views = h.detector.baselines({ kind: 'service_tool' });
    expect(views.map((v) => v.tool).sort()).toEqual(['get_forecast', 'get_weather', 'list_cities']);
    expect(views[0]?.observations).toBe(80);
  });
});
