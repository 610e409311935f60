// Web Worker: the workspace slice, a size x size grid on a plane through the target, each cell
// coloured by the feasibility class of the target there (the arm's classifier network, or the
// core's exact class: closed-form IK + conditioning), by where the two disagree, or by the
// network's position error there. The core is loaded into the worker too.
//   in:  {type: 'init', coreUrl, armJson, modelJson?, classifierJson?}  then  {type: 'compute', id, ...request}
//   out: {type: 'ready'} | {type: 'slice', id, rgba, classes, source, ms, counts, differ, maxMm}
//        (differ: null, or for 'differ' the counts {netOnly, exactOnly, otherClass} of cells)
//        | {type: 'error', message}
import { CLASSES, Classifier, DIFFER_COLOUR, errorColour, hexToRgb, sliceTargets } from './feasibility.js';

let NK = null, arm = null, model = null, classifier = null;

async function init({ coreUrl, armJson, modelJson, classifierJson }) {
  if (!NK) {
    // a module worker has no importScripts, and the page's CSP allows no eval: neurokin.js (a
    // classic script) is imported as a module, and puts createNeuroKin on the global object
    // (wasm/global_export.js); the .wasm is next to it, not next to us
    try {
      await import(/* @vite-ignore */ coreUrl);
    } catch (e) {
      throw new Error(`cannot load ${coreUrl}: ${e.message}`);
    }
    NK = await self.createNeuroKin({ locateFile: (f) => new URL(f, coreUrl).href });
  }
  classifier?.dispose();
  arm?.delete();
  model?.delete();
  classifier = model = null;
  arm = new NK.Arm(armJson);
  model = modelJson ? new NK.Model(modelJson) : null;
  // the page checked this file already: it sends one only when it loaded on the main thread
  classifier = classifierJson ? new Classifier(NK, classifierJson, arm) : null;
}

// the class of every cell from one source: 'classifier' (one batch call) or 'exact'
function classesBy(source, targets, n) {
  return source === 'classifier' ? classifier.classify(targets, n).classIndex : arm.classifyPoses(targets, n).classIndex;
}

const DIFFER = hexToRgb(DIFFER_COLOUR);

// request: {size, basis: {centre, u, v}, rest: [task values after the position], colour:
// 'class' | 'differ' | 'error', source: 'classifier' | 'exact'}
function compute({ size, basis, rest, colour, source }) {
  const t0 = performance.now();
  const m = arm.taskSize, n = size * size;
  // the network's error is shown where the core finds the target reachable: in the classifier's
  // band just outside the workspace any network's error is large, and says nothing about it
  if (!classifier || (colour === 'error' && model)) source = 'exact';
  const targets = sliceTargets(size, basis, rest, m, arm.task === 'planar_xy' ? 2 : 3);
  const classes = classesBy(source, targets, n);
  const counts = [0, 0, 0, 0];
  for (const c of classes) ++counts[c];
  const rgba = new Uint8Array(4 * n);
  const palette = CLASSES.map((c) => hexToRgb(c.colour));
  let maxMm = 0, differ = null;
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
  } else if (colour === 'differ' && classifier) {
    // both sources: the cells where they differ stand out, the others are their class, faint
    const other = classesBy(source === 'classifier' ? 'exact' : 'classifier', targets, n);
    const [net, exact] = source === 'classifier' ? [classes, other] : [other, classes];
    // how they differ: reachable by the classifier only, by the core only, or another class
    differ = { netOnly: 0, exactOnly: 0, otherClass: 0 };
    for (let k = 0; k < n; ++k) {
      const d = net[k] !== exact[k];
      if (d) ++differ[!exact[k] ? 'netOnly' : !net[k] ? 'exactOnly' : 'otherClass'];
      rgba.set(d ? [...DIFFER, 255] : [...palette[classes[k]], classes[k] > 0 ? 70 : 20], 4 * k);
    }
  } else {
    for (let k = 0; k < n; ++k) rgba.set([...palette[classes[k]], classes[k] > 0 ? 225 : 30], 4 * k);
  }
  return { rgba, classes, source, counts, differ, maxMm, ms: performance.now() - t0 };
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
      self.postMessage({ type: 'slice', id: msg.id, ...r }, [r.rgba.buffer, r.classes.buffer]);
    }
  } catch (err) {
    self.postMessage({ type: 'error', id: msg.id, message: err.message ?? String(err) });
  }
}
