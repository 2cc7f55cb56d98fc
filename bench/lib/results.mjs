// Each benchmark writes its figures (JSON) and its RESULTS.md section (markdown) under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../results/', import.meta.url));

export function writeResult(name, data, markdown) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}${name}.json`, `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(`${dir}${name}.md`, `${markdown}\n`);
}
