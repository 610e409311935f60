// The web page's workspace slice: the feasibility class of its 64 x 64 = 4,096 cells by the arm's
// shipped classifier (one batch call on the wasm core, web/src/feasibility.js, as the page's
// worker runs it) against the core's exact class (Arm.classifyPoses: closed-form IK and the
// conditioning of the best solution), per arm, interleaved round by round; and how many cells the
// two put in different classes. The slice is the page's horizontal one (2.3 reaches square)
// through the tool of a seeded configuration; issue 4's budget for a slice is 250 ms.
//   node bench/slice_classes.mjs [--markdown docs/benchmarks.md] [--rounds 9]
// (make bench runs it; the wasm build must exist: make wasm)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { fmt, measuredOn, parseOptions, writeSection } from './markdown.mjs';
import { Classifier, sliceTargets } from '../web/src/feasibility.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = parseOptions('slice_classes', { markdown: null, rounds: 9, wasmDir: path.join(repo, 'build', 'wasm', 'bin') });
const createNeuroKin = createRequire(import.meta.url)(path.join(opt.wasmDir, 'neurokin.js'));
const NK = await createNeuroKin({ wasmBinary: fs.readFileSync(path.join(opt.wasmDir, 'neurokin.wasm')) });

const SIZE = 64, N = SIZE * SIZE;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// wall-clock and CPU time of one call (ms): on a shared machine the CPU time is what the code costs
function timeIt(fn) {
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  const result = fn();
  return { wall: performance.now() - t0, cpu: process.cpuUsage(cpu0).user / 1000, result };
}

const rows = [];
for (const name of ['planar2', 'puma3', 'omx4', 'kr6']) {
  const file = path.join(repo, 'models', name, 'feasibility.json');
  if (!fs.existsSync(file)) continue;
  const arm = new NK.Arm(fs.readFileSync(path.join(repo, 'models', 'arms', `${name}.json`), 'utf8'));
  const classifier = new Classifier(NK, fs.readFileSync(file, 'utf8'), arm);
  // the page's slice geometry: reach over 2,000 seeded samples, the plane through a seeded tool
  const planar = arm.task === 'planar_xy', p = planar ? 2 : 3;
  const tasks = arm.taskVectors(arm.sample(2000, 1), 2000);
  let reach = 0;
  for (let i = 0; i < 2000; ++i) reach = Math.max(reach, Math.hypot(...tasks.subarray(i * arm.taskSize, i * arm.taskSize + p)));
  const target = arm.taskVectors(arm.sample(1, 2), 1);
  const R = 2.3 * reach;
  const targets = sliceTargets(SIZE, { centre: [0, 0, planar ? 0 : target[2]], u: [R, 0, 0], v: [0, R, 0] },
                               Array.from(target.subarray(p)), arm.taskSize, p);
  const t = { net: [], exact: [] };
  let net, exact;
  for (let r = 0; r < Math.ceil(opt.rounds); ++r) {
    const a = timeIt(() => classifier.classify(targets, N).classIndex);
    const b = timeIt(() => arm.classifyPoses(targets, N).classIndex);
    t.net.push(a);
    t.exact.push(b);
    [net, exact] = [a.result, b.result];
  }
  const differ = net.reduce((s, c, k) => s + (c !== exact[k]), 0);
  const row = {
    name, params: classifier.model.parameterCount, differ,
    netWall: median(t.net.map((x) => x.wall)), netCpu: median(t.net.map((x) => x.cpu)),
    exactWall: median(t.exact.map((x) => x.wall)), exactCpu: median(t.exact.map((x) => x.cpu)),
  };
  rows.push(row);
  console.log(`${name}: ${N} cells by the classifier ${row.netWall.toFixed(1)} ms (CPU ${row.netCpu.toFixed(1)} ms), ` +
              `exact ${row.exactWall.toFixed(1)} ms (CPU ${row.exactCpu.toFixed(1)} ms); ${differ} cells differ`);
  classifier.dispose();
  arm.delete();
}
if (rows.length === 0) {
  console.error('slice_classes: no arm ships a classifier (models/ARM/feasibility.json)');
  process.exit(1);
}

if (opt.markdown) {
  const file = path.resolve(repo, opt.markdown);
  writeSection(file, 'slice_classes', [
    `${measuredOn()}, ${opt.rounds} interleaved rounds (medians; wall clock, and this thread's CPU time):`,
    '',
    `| arm | classifier parameters | ${N} cells by the classifier | CPU | by the core (exact) | CPU | cells whose classes differ |`,
    '|---|--:|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.name} | ${fmt(r.params)} | ${fmt(r.netWall, 1)} ms | ${fmt(r.netCpu, 1)} ms | ` +
      `${fmt(r.exactWall, 1)} ms | ${fmt(r.exactCpu, 1)} ms | ${r.differ} (${fmt((100 * r.differ) / N, 1)}%) |`),
  ]);
  console.log(`slice_classes: wrote ${path.relative(repo, file)}`);
}
