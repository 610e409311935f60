// Web Worker: the workspace slice, a size x size grid on a plane through the target, each cell
// coloured by the feasibility class of the target there (the core: closed-form IK + conditioning)
// or by the network's position error there. The core is loaded into the worker too.
//   in:  {type: 'init', coreUrl, armJson, modelJson?}  then  {type: 'compute', id, ...request}
//   out: {type: 'ready'} | {type: 'slice', id, rgba, ms, counts, maxMm} | {type: 'error', message}
import { CLASSES, errorColour, hexToRgb } from './feasibility.js';

let NK = null, arm = null, model = null;

async function init({ coreUrl, armJson, modelJson }) {
  if (!NK) {
    // a module worker has no importScripts: neurokin.js (a classic script) is evaluated at
    // global scope, which defines createNeuroKin; the .wasm is next to it, not next to us
    const response = await fetch(coreUrl);
    if (!response.ok) throw new Error(`cannot fetch ${coreUrl}: HTTP ${response.status}`);
    (0, eval)(await response.text());
    NK = await self.createNeuroKin({ locateFile: (f) => new URL(f, coreUrl).href });
  }
  arm?.delete();
  model?.delete();
  arm = new NK.Arm(armJson);
  model = modelJson ? new NK.Model(modelJson) : null;
}

// request: {size, basis: {centre, u, v}, rest: [task values after the position], colour}
function compute({ size, basis, rest, colour }) {
  const t0 = performance.now();
  const m = arm.taskSize, n = size * size;
  const planar = arm.task === 'planar_xy';
  const targets = new Float64Array(n * m);
  for (let j = 0; j < size; ++j)
    for (let i = 0; i < size; ++i) {
      const s = i / (size - 1) - 0.5, t = j / (size - 1) - 0.5;
      const k = (j * size + i) * m;
      for (let c = 0; c < (planar ? 2 : 3); ++c) targets[k + c] = basis.centre[c] + s * basis.u[c] + t * basis.v[c];
      for (let c = 0; c < rest.length; ++c) targets[k + (planar ? 2 : 3) + c] = rest[c];
    }
  const classes = arm.classifyPoses(targets, n).classIndex;
  const counts = [0, 0, 0, 0];
  for (const c of classes) ++counts[c];
  const rgba = new Uint8Array(4 * n);
  let maxMm = 0;
  if (colour === 'error' && model) {
    // the network runs on the reachable cells only (its answer elsewhere means nothing)
    const cells = [];
    for (let k = 0; k < n; ++k) if (classes[k] > 0) cells.push(k);
    const r = cells.length;
    const reachable = new Float64Array(r * m);
    cells.forEach((k, i) => reachable.set(targets.subarray(k * m, k * m + m), i * m));
    model.inputs(r).set(reachable);
    const q = Float64Array.from(model.run(r));
    const errors = arm.taskErrors(reachable, q, r);
    // colour scale: up to the 95th percentile of the errors (at least 1 mm)
    const mm = cells.map((_, i) => errors[2 * i] * 1000);
    const sorted = [...mm].sort((a, b) => a - b);
    maxMm = Math.max(1, r ? sorted[Math.floor(0.95 * (r - 1))] : 1);
    for (let k = 0; k < n; ++k) rgba.set([200, 204, 210, 30], 4 * k);
    cells.forEach((k, i) => rgba.set([...errorColour(mm[i], maxMm), 235], 4 * k));
  } else {
    const palette = CLASSES.map((c) => hexToRgb(c.colour));
    for (let k = 0; k < n; ++k) rgba.set([...palette[classes[k]], classes[k] > 0 ? 225 : 30], 4 * k);
  }
  return { rgba, counts, maxMm, ms: performance.now() - t0 };
}

// messages are handled one after the other: a compute waits for the init before it
let queue = Promise.resolve();
self.onmessage = (e) => {
  queue = queue.then(() => handle(e.data));
};

async function handle(msg) {
  try {
    if (msg.type === 'init') {
      await init(msg);
      self.postMessage({ type: 'ready' });
    } else if (msg.type === 'compute') {
      const r = compute(msg);
      self.postMessage({ type: 'slice', id: msg.id, ...r }, [r.rgba.buffer]);
    }
  } catch (err) {
    self.postMessage({ type: 'error', id: msg.id, message: err.message ?? String(err) });
  }
}
