// Copies what the page loads at run time into web/public/ (generated, not committed), so that
// `vite` serves it and `vite build` puts it into dist/ as it is (ONNX Runtime Web's own wasm
// file is an asset of its lazily imported chunk: Vite copies it to dist/assets/):
//   public/wasm/    neurokin.{js,wasm} from the wasm build (make wasm)
//   public/models/  the arm files, every shipped model (ARM/ik.json, ARM/ik.onnx), each arm's
//                   feasibility classifier (ARM/feasibility.json: the page runs it on the core,
//                   so its .onnx is not needed), each arm's trajectory model (ARM/ik-trajectory.json,
//                   path mode's other solver, run on the core), index.json
// Usage: node web/scripts/stage.mjs [WASM_BIN_DIR]   (default build/wasm/bin)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = path.resolve(webDir, '..');
const wasmDir = path.resolve(process.argv[2] ?? path.join(repoDir, 'build', 'wasm', 'bin'));
const publicDir = path.join(webDir, 'public');

function fail(message) {
  console.error(`stage: ${message}`);
  process.exit(1);
}

function copy(from, to) {
  if (!fs.existsSync(from)) fail(`${from} is missing`);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

// the wasm module
for (const f of ['neurokin.js', 'neurokin.wasm']) {
  if (!fs.existsSync(path.join(wasmDir, f))) fail(`${path.join(wasmDir, f)} is missing: run 'make wasm' first`);
  copy(path.join(wasmDir, f), path.join(publicDir, 'wasm', f));
}
// neurokin.js is CommonJS/UMD: web/package.json says "type": "module", so Node (the browser
// tests) needs this to require() it (docs/js-api.md, "Node")
fs.writeFileSync(path.join(publicDir, 'wasm', 'package.json'), '{"type": "commonjs"}\n');

// arms and shipped models, and the index the page reads (so it never asks for a missing file)
const modelsDir = path.join(repoDir, 'models');
fs.rmSync(path.join(publicDir, 'models'), { recursive: true, force: true });
const index = { arms: [], models: {}, feasibility: {}, trajectory: {} };
for (const f of fs.readdirSync(path.join(modelsDir, 'arms')).filter((f) => f.endsWith('.json')).sort()) {
  const name = path.basename(f, '.json');
  copy(path.join(modelsDir, 'arms', f), path.join(publicDir, 'models', 'arms', f));
  index.arms.push(name);
  const entry = {};
  for (const ext of ['json', 'onnx']) {
    const file = path.join(modelsDir, name, `ik.${ext}`);
    if (fs.existsSync(file)) {
      copy(file, path.join(publicDir, 'models', name, `ik.${ext}`));
      entry[ext] = `models/${name}/ik.${ext}`;
    }
  }
  if (entry.json || entry.onnx) index.models[name] = entry;
  const classifier = path.join(modelsDir, name, 'feasibility.json');
  if (fs.existsSync(classifier)) {
    copy(classifier, path.join(publicDir, 'models', name, 'feasibility.json'));
    index.feasibility[name] = `models/${name}/feasibility.json`;
  }
  const trajectory = path.join(modelsDir, name, 'ik-trajectory.json');
  if (fs.existsSync(trajectory)) {
    copy(trajectory, path.join(publicDir, 'models', name, 'ik-trajectory.json'));
    index.trajectory[name] = `models/${name}/ik-trajectory.json`;
  }
}
fs.writeFileSync(path.join(publicDir, 'models', 'index.json'), JSON.stringify(index, null, 2) + '\n');

const names = (o) => Object.keys(o).join(', ') || 'none';
console.log(`stage: ${index.arms.length} arms, models for ${names(index.models)}, classifiers for ` +
            `${names(index.feasibility)}, trajectory models for ${names(index.trajectory)} -> ` +
            `${path.relative(repoDir, publicDir)}/`);
