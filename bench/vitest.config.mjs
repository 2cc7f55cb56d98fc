import { defineConfig } from 'vitest/config';

// The benchmark helpers load the packages' dist/ (as the benchmarks do): build first.
export default defineConfig({ test: { include: ['test/**/*.test.mjs'], testTimeout: 60_000 } });
