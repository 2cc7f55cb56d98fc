import { packageConfig } from '../vitest.shared';

// e2e tests start real processes: generous per-test timeouts, but every wait inside is bounded.
export default packageConfig({ include: ['collector-config/**/*.test.ts', 'e2e/**/*.test.ts'], testTimeout: 120_000 });
