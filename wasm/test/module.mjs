// Loads the wasm module for the Node tests: paths from the environment (set by ctest), else the
// default build tree. Not a test itself.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoDir = path.resolve(here, '..', '..');
export const wasmDir = process.env.NEUROKIN_WASM_DIR ?? path.join(repoDir, 'build', 'wasm', 'bin');
export const armsDir = process.env.NEUROKIN_ARMS_DIR ?? path.join(repoDir, 'models', 'arms');

// neurokin.js is a CommonJS (UMD) factory; wasmBinary avoids Node 20's fetch of a file path
export async function loadNeuroKin() {
  const require = createRequire(import.meta.url);
  const createNeuroKin = require(path.join(wasmDir, 'neurokin.js'));
  return createNeuroKin({ wasmBinary: fs.readFileSync(path.join(wasmDir, 'neurokin.wasm')) });
}

// every arm file: [{name, file, text}]
export function armFiles() {
  return fs.readdirSync(armsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: path.basename(f, '.json'), file: path.join(armsDir, f),
                   text: fs.readFileSync(path.join(armsDir, f), 'utf8') }));
}

// rows of a flat array
export function rows(flat, width) {
  const out = [];
  for (let i = 0; i < flat.length; i += width) out.push(Array.from(flat.subarray(i, i + width)));
  return out;
}

// the largest absolute difference between two quaternions (x, y, z, w), up to sign
export function quaternionDistance(a, b) {
  let plus = 0, minus = 0;
  for (let i = 0; i < 4; ++i) {
    plus = Math.max(plus, Math.abs(a[i] - b[i]));
    minus = Math.max(minus, Math.abs(a[i] + b[i]));
  }
  return Math.min(plus, minus);
}
