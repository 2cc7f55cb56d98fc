import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * Shared vitest settings: workspace packages resolve to their TypeScript sources,
 * so a package's unit tests never depend on another package's stale `dist/`.
 * Tests that spawn real processes use the built `dist/` (turbo builds before test).
 */
export function packageConfig(extra: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: {
      alias: [{ find: /^@mcptrail\/([a-z-]+)$/, replacement: path.join(root, 'packages/$1/src/index.ts') }],
    },
    test: {
      include: extra.include ?? ['test/**/*.test.ts'],
      testTimeout: extra.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      reporters: ['default'],
    },
  });
}
