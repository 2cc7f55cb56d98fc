import { describe, expect, it } from 'vitest';
import { median, quantile, table } from '../lib/stats.mjs';

describe('stats', () => {
  it('interpolates quantiles and takes medians of unsorted samples', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([0, 10], 0.99)).toBeCloseTo(9.9);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });

  it('renders markdown tables', () => {
    expect(table(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
});
