// Our wasm core against onnxruntime-web's wasm backend, side by side in one Node process, on
// every shipped model (models/ARM/ik.json and the ONNX export of the same network, ik.onnx):
// batch-1 latency and batch-4096 throughput, interleaved round by round so that both see the
// same machine load, plus how far their outputs are apart. Both single-threaded.
//   node bench/wasm_vs_ort.mjs [--markdown docs/benchmarks.md] [--rounds 7]
// (make bench runs it; the wasm build must exist: make wasm, and web/node_modules: bootstrap)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { fmt, measuredOn, parseOptions, writeSection } from './markdown.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = parseOptions('wasm_vs_ort', { markdown: null, rounds: 7, wasmDir: path.join(repo, 'build', 'wasm', 'bin') });

const requireWeb = createRequire(path.join(repo, 'web', 'package.json'));
let ort;
try {
  ort = await import(requireWeb.resolve('onnxruntime-web'));
} catch (e) {
  console.error(`wasm_vs_ort: cannot load onnxruntime-web from web/node_modules (${e.message}); run scripts/bootstrap.sh`);
  process.exit(1);
}
ort.env.wasm.numThreads = 1;
const createNeuroKin = createRequire(import.meta.url)(path.join(opt.wasmDir, 'neurokin.js'));
const NK = await createNeuroKin({ wasmBinary: fs.readFileSync(path.join(opt.wasmDir, 'neurokin.wasm')) });

const BIG = 4096;

// runs fn until at least minMs have passed; mean ms per call (awaited only when it is async:
// ours is synchronous, onnxruntime-web's run() returns a promise)
async function timeIt(fn, minMs) {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs || n < 2) {
    const r = fn();
    if (r instanceof Promise) await r;
    ++n;
    t = performance.now();
  }
  return (t - t0) / n;
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const rows = [];
for (const arm of ['planar2', 'puma3', 'omx4', 'kr6']) {
  const json = path.join(repo, 'models', arm, 'ik.json'), onnx = path.join(repo, 'models', arm, 'ik.onnx');
  if (!fs.existsSync(json) || !fs.existsSync(onnx)) continue;
  const model = new NK.Model(fs.readFileSync(json, 'utf8'));
  const a = model.arm();
  const m = model.inputSize, d = model.outputSize;
  // reachable targets: the forward kinematics of seeded joint samples
  const targets = Float32Array.from(a.taskVectors(a.sample(BIG, 1), BIG));
  const session = await ort.InferenceSession.create(fs.readFileSync(onnx), { executionProviders: ['wasm'] });
  const one = targets.subarray(0, m);

  const ours = {
    1: () => { model.inputs(1).set(one); return model.run(1); },
    [BIG]: () => { model.inputs(BIG).set(targets); return model.run(BIG); },
  };
  const onnxRun = (x, n) => session.run({ target: new ort.Tensor('float32', x, [n, m]) });
  const theirs = { 1: () => onnxRun(one, 1), [BIG]: () => onnxRun(targets, BIG) };

  // agreement at batch 4096 (angles compared around the circle)
  const q1 = Float32Array.from(ours[BIG]()), q2 = (await theirs[BIG]()).joints.data;
  let maxDiff = 0;
  for (let i = 0; i < q1.length; ++i) {
    const e = Math.abs(q1[i] - q2[i]) % (2 * Math.PI);
    maxDiff = Math.max(maxDiff, Math.min(e, 2 * Math.PI - e));
  }

  const t = { ours1: [], theirs1: [], oursBig: [], theirsBig: [] };
  for (let r = 0; r < opt.rounds; ++r) {
    t.ours1.push(await timeIt(ours[1], 150));
    t.theirs1.push(await timeIt(theirs[1], 150));
    t.oursBig.push(await timeIt(ours[BIG], 300));
    t.theirsBig.push(await timeIt(theirs[BIG], 300));
  }
  const row = {
    arm, params: model.parameterCount, m, d,
    ours1: median(t.ours1), theirs1: median(t.theirs1),
    oursBig: median(t.oursBig), theirsBig: median(t.theirsBig), maxDiff,
  };
  rows.push(row);
  console.log(`${arm}: batch 1 ours ${(row.ours1 * 1000).toFixed(1)} us, onnxruntime-web ${(row.theirs1 * 1000).toFixed(1)} us ` +
              `(${(row.theirs1 / row.ours1).toFixed(1)}x); batch ${BIG} ours ${(BIG / row.oursBig * 1000).toFixed(0)}/s, ` +
              `onnxruntime-web ${(BIG / row.theirsBig * 1000).toFixed(0)}/s (${(row.theirsBig / row.oursBig).toFixed(2)}x); max |dq| ${maxDiff.toExponential(1)} rad`);
  await session.release();
  a.delete();
  model.delete();
}
if (rows.length === 0) {
  console.error('wasm_vs_ort: no shipped model has both ik.json and ik.onnx');
  process.exit(1);
}

if (opt.markdown) {
  const file = path.resolve(repo, opt.markdown);
  writeSection(file, 'wasm_vs_ort', [
    `${measuredOn()}, onnxruntime-web ${ort.env.versions?.web ?? ''}, ${opt.rounds} interleaved rounds (medians):`,
    '',
    `| model | parameters | batch 1: ours | batch 1: onnxruntime-web | speed-up | batch ${BIG}: ours | batch ${BIG}: onnxruntime-web | ratio | max \\|q_ours - q_ort\\| |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.arm}/ik (${r.m} -> ${r.d}) | ${fmt(r.params)} | ${fmt(r.ours1 * 1000, 1)} us | ${fmt(r.theirs1 * 1000, 1)} us | ` +
      `${fmt(r.theirs1 / r.ours1, 1)}x | ${fmt((BIG / r.oursBig) * 1000)} /s | ${fmt((BIG / r.theirsBig) * 1000)} /s | ` +
      `${fmt(r.theirsBig / r.oursBig, 2)}x | ${r.maxDiff.toExponential(1)} rad |`),
  ]);
  console.log(`wasm_vs_ort: wrote ${path.relative(repo, file)}`);
}
