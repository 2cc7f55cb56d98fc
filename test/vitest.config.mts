import { mergeConfig } from 'vitest/config';
import { packageConfig } from '../vitest.shared.mts';

// e2e tests start real processes: generous per-test timeouts (every wait inside is bounded), and
// one file at a time so two suites never compete for a 2-core CI machine.
export default mergeConfig(
  packageConfig({ include: ['collector-config/**/*.test.ts', 'e2e/**/*.test.ts', 'console/**/*.test.ts', 'dashboards/**/*.test.ts'], testTimeout: 120_000 }),
  { test: { fileParallelism: false } },
);
