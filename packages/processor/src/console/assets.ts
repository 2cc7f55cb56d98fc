/**
 * The console's static files (packages/processor/console-assets/, shipped in the package):
 * a fixed list read once at start-up, served from memory. No file name from the request
 * ever reaches the file system, and nothing is fetched from the network at run time.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Resolved from dist/console/ (built) and src/console/ (tests through ts): both are two levels down. */
export const ASSETS_DIR = path.resolve(__dirname, '../../console-assets');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const ASSET_FILES = ['index.html', 'app.js', 'api.js', 'dom.js', 'charts.js', 'views.js', 'console.css', 'favicon.svg'] as const;

export interface Asset {
  body: Buffer;
  type: string;
}

/** `/console/<file>` → asset; `/console/` is index.html. */
export function loadAssets(dir = ASSETS_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const file of ASSET_FILES) {
    const body = fs.readFileSync(path.join(dir, file));
    out.set(`/console/${file}`, { body, type: TYPES[path.extname(file)] ?? 'application/octet-stream' });
  }
  const index = out.get('/console/index.html') as Asset;
  out.set('/console/', index);
  return out;
}

/** Paths the receiver serves without a token: the page shell and its code, which hold no data. */
export const CONSOLE_PUBLIC_PATHS: readonly string[] = ['/console', '/console/', ...ASSET_FILES.map((f) => `/console/${f}`)];
