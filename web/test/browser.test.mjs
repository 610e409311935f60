// Browser tests of the simulator: headless Chromium (the system's, driven by playwright-core)
// on web/dist served by a plain static server (no COOP/COEP headers, as any host). Every
// number the page shows is checked against the wasm core run here in Node.
// Run: node --test web/test/browser.test.mjs   (make test; make web must have built web/dist)
// Screenshots go to build/web-test/ (NEUROKIN_SCREENSHOTS=DIR to choose).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { createRequire } from 'node:module';

import { decodeModel, encodeModel } from '../src/modelcodec.js';
import { formatFigure } from '../src/report.js';
import { browser, distDir, repoDir, server, shotsDir } from './fixture.mjs';
import { serve } from './server.mjs';
import { CLASSES as PAGE_CLASSES, DIFFER_COLOUR, hexToRgb, sliceTargets } from '../src/feasibility.js';

// the same wasm core the page runs, for the reference numbers
const wasmDir = path.join(distDir, 'wasm');
const NK = await createRequire(import.meta.url)(path.join(wasmDir, 'neurokin.js'))({
  wasmBinary: fs.readFileSync(path.join(wasmDir, 'neurokin.wasm')),
});
const arms = Object.fromEntries(['planar2', 'puma3', 'omx4', 'kr6'].map((name) =>
  [name, new NK.Arm(fs.readFileSync(path.join(repoDir, 'models', 'arms', `${name}.json`), 'utf8'))]));
const index = JSON.parse(fs.readFileSync(path.join(distDir, 'models', 'index.json'), 'utf8'));

// a fresh page at hash; console errors and page errors are collected; setup(page) runs first
async function open(hash = '', { allow = [], setup = null } = {}) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await setup?.(page);
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !allow.some((re) => re.test(m.text()))) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // (generous: the machines that run this are shared, and a page's first load can wait its turn)
  await page.goto(server.url + hash, { timeout: 90000 });
  await ready(page);
  return { page, problems };
}

// the joints for the current state are computed
async function ready(page, timeout = 30000) {
  await page.waitForSelector('[data-testid=joints][data-ready="1"]', { timeout });
}

async function readState(page) {
  return page.evaluate(() => {
    const text = (id) => document.querySelector(`[data-testid=${id}]`).textContent;
    const error = document.querySelector('[data-testid=error]');
    return {
      joints: text('joints').split(',').map(Number),
      errorMm: Number(text('tool-error-mm')),
      feasibility: text('feasibility'),
      backend: text('backend'),
      error: error.hidden ? null : error.textContent,
      hash: location.hash,
      target: Array.from(window.neurokin.target),
    };
  });
}

// standard deviation of the canvas' pixel values: 0 for a blank canvas
async function canvasSpread(page) {
  return page.evaluate(() => {
    const src = document.querySelector('#stage canvas');
    const c = document.createElement('canvas');
    c.width = 200;
    c.height = 150;
    const g = c.getContext('2d');
    g.drawImage(src, 0, 0, c.width, c.height);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0, n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const v = (d[i] + d[i + 1] + d[i + 2]) / 3;
      s += v;
      s2 += v * v;
      ++n;
    }
    return Math.sqrt(s2 / n - (s / n) ** 2);
  });
}

// position error (mm) of joints q against a task target, by the core in Node
function errorMm(arm, target, q) {
  return arm.taskErrors(Float64Array.from(target), Float64Array.from(q), 1)[0] * 1000;
}

// the shipped model's worst error on its evaluation set (models/ARM/ik.eval.json), in mm
function expectedMaxMm(name) {
  const file = path.join(repoDir, 'models', name, 'ik.eval.json');
  if (!fs.existsSync(file)) return 1e-3;  // no model: closed-form IK, exact
  const max = JSON.parse(fs.readFileSync(file, 'utf8')).network?.position_max_mm;
  assert.ok(Number.isFinite(max), `${file}: no network.position_max_mm`);
  return max;
}

// a model's worst position error on its own test set (the file's metadata: the likeliest head's
// answer), in mm
function modelMaxMm(model) {
  const max = model.metadata()?.metrics?.test?.position_max_mm;
  assert.ok(Number.isFinite(max), 'the model file has no metadata.metrics.test.position_max_mm');
  return max;
}

// each branch head's worst position error (mm) over n seeded reachable targets, by the core: the
// file records only the likeliest head's, and a head answers its branch whatever its probability
function headMaxMm(model, arm, n = 500) {
  const targets = Float32Array.from(arm.taskVectors(arm.sample(n, 11), n));
  const { outputs } = model.predictBranches(targets, n);
  const K = model.branches.length, m = arm.taskSize;
  return model.branches.map((_, k) => {
    let max = 0;
    for (let i = 0; i < n; ++i) {
      const q = Float64Array.from(outputs.subarray((i * K + k) * arm.dof, (i * K + k + 1) * arm.dof));
      max = Math.max(max, errorMm(arm, targets.subarray(i * m, (i + 1) * m), q));
    }
    return max;
  });
}

const CLASSES = ['unreachable', 'near_singular', 'adequate', 'high_manipulability'];

// each arm's shipped feasibility classifier, run by the core here (Model.predict): per target the
// likeliest class and how far its probability is ahead of the runner-up's
const classifiers = Object.fromEntries(Object.keys(arms).map((name) =>
  [name, new NK.Model(fs.readFileSync(path.join(repoDir, 'models', name, 'feasibility.json'), 'utf8'))]));
function classifierClasses(name, targets, n) {
  const p = classifiers[name].predict(Float32Array.from(targets), n);
  return Array.from({ length: n }, (_, i) => {
    const row = Array.from(p.subarray(4 * i, 4 * i + 4));
    const [first, second] = [0, 1, 2, 3].sort((a, b) => row[b] - row[a]);
    return { classIndex: first, class: CLASSES[first], margin: row[first] - row[second] };
  });
}

// what the feasibility panel shows: the class name, its source, the target marker's colour, the
// disagreement and the fallback notes (null when hidden)
async function readFeasibility(page) {
  return page.evaluate(() => {
    const el = (id) => document.querySelector(`[data-testid=${id}]`);
    const note = (id) => (el(id).hidden ? null : { text: el(id).textContent, ...el(id).dataset });
    return {
      shown: el('feasibility').textContent, source: el('feasibility').dataset.source,
      marker: `#${window.neurokin.view.targetBall.material.color.getHexString()}`,
      differ: note('feasibility-differ'), note: note('feasibility-note'),
      classifierButton: !el('feasibility-classifier').disabled,
    };
  });
}
const colourOf = (name) => PAGE_CLASSES[CLASSES.indexOf(name)].colour;

// the slice's status has a new time (the next slice after a click is drawn)
async function nextSlice(page, click) {
  await page.evaluate(() => { delete document.querySelector('[data-testid=slice-status]').dataset.ms; });
  if (click) await page.click(click);
  await page.waitForFunction(() => document.querySelector('[data-testid=slice-status]').dataset.ms, null, { timeout: 30000 });
  return page.evaluate(() => {
    const { classes, rgba, source, basis } = window.neurokin.slice.last;
    const status = document.querySelector('[data-testid=slice-status]');
    return { classes: Array.from(classes), rgba: Array.from(rgba), source, basis, ms: Number(status.dataset.ms), text: status.textContent };
  });
}

test('every arm loads with no console errors, predicts, shows its error and class, draws', async () => {
  for (const name of Object.keys(arms)) {
    const { page, problems } = await open(`#arm=${name}`);
    const s = await readState(page);
    const arm = arms[name];
    assert.deepEqual(problems, [], `${name}: ${problems.join('; ')}`);
    assert.equal(s.joints.length, arm.dof, `${name} joints ${s.joints}`);
    assert.ok(s.joints.every(Number.isFinite));
    assert.ok(CLASSES.includes(s.feasibility), `${name} feasibility '${s.feasibility}'`);
    assert.equal(s.backend, index.models[name]?.json ? 'wasm' : 'core-ik', `${name} backend`);
    assert.equal(s.error, null, `${name} shows an error: ${s.error}`);
    // the error shown is the core's error of the joints shown, to the 0.01 mm printed
    const mm = errorMm(arm, s.target, s.joints);
    assert.ok(Math.abs(mm - s.errorMm) <= 0.006 + 1e-3 * mm, `${name}: shows ${s.errorMm} mm, the core says ${mm}`);
    await page.waitForTimeout(900);  // the arm's animation
    const spread = await canvasSpread(page);
    assert.ok(spread > 5, `${name}: the canvas looks blank (pixel spread ${spread.toFixed(2)})`);
    await page.screenshot({ path: path.join(shotsDir, `${name}.png`) });
    await page.close();
  }
});

test('a target set through the hash: joints whose FK reaches it within the model\'s error', async () => {
  for (const [name, q] of [['planar2', [0.7, -1.3]], ['puma3', [-0.6, 1.1, -0.9]], ['omx4', [-0.5, 0.3, 0.2, -0.4]],
                           ['kr6', [-0.4, -1.0, 0.8, 1.2, -0.7, 0.5]]]) {
    const arm = arms[name];
    const target = Array.from(arm.fk(q).task);
    const { page, problems } = await open(`#arm=${name}&target=${target.join(',')}`);
    const s = await readState(page);
    assert.deepEqual(problems, []);
    s.target.forEach((v, i) => assert.ok(Math.abs(v - target[i]) < 1e-9, `${name} target ${s.target} != ${target}`));
    const mm = errorMm(arm, target, s.joints);
    const limit = expectedMaxMm(name) + 0.01;
    assert.ok(mm <= limit, `${name}: FK of the page's joints is ${mm.toFixed(3)} mm from the target (limit ${limit})`);
    await page.close();
  }
});

test('dragging the gizmo moves the target; the arm follows and the hash records it', async () => {
  const { page, problems } = await open('#arm=puma3');
  const before = await readState(page);
  // the gizmo's centre handle sits on the target: drag it across the screen
  const [x, y] = await page.evaluate(() => {
    const v = window.neurokin.view, p = v.target.position.clone().project(v.camera);
    const r = v.renderer.domElement.getBoundingClientRect();
    return [r.left + ((p.x + 1) / 2) * r.width, r.top + ((1 - p.y) / 2) * r.height];
  });
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; ++i) await page.mouse.move(x - 6 * i, y + 4 * i);
  await page.mouse.up();
  await page.waitForFunction((t) => window.neurokin.target[0] !== t, before.target[0]);
  await ready(page);
  const s = await readState(page);
  assert.ok(Math.hypot(s.target[0] - before.target[0], s.target[1] - before.target[1], s.target[2] - before.target[2]) > 0.02,
            `the target did not move: ${before.target} -> ${s.target}`);
  assert.ok(errorMm(arms.puma3, s.target, s.joints) <= expectedMaxMm('puma3') + 0.01);
  assert.match(decodeURIComponent(s.hash), new RegExp(`target=${s.target.map((v) => Number(v.toFixed(6))).join(',')}`));
  assert.deepEqual(problems, []);
  await page.close();
});

test('the hash round-trips: the page writes back what it read, and the same link gives the same view', async () => {
  const arm = arms.kr6;
  const target = Array.from(arm.fk([0.2, -0.9, 0.7, 0.3, 0.6, -0.2]).task).map((v) => Number(v.toFixed(6)));
  const hash = `#arm=kr6&target=${target.join(',')}&backend=wasm&refine=1`;
  const a = await open(hash);
  const s = await readState(a.page);
  assert.equal(decodeURIComponent(s.hash), hash);
  const b = await open(s.hash);
  const t = await readState(b.page);
  assert.deepEqual(t.joints, s.joints);
  assert.deepEqual([...a.problems, ...b.problems], []);
  // a hash typed into the address bar later is applied too
  const planar = Array.from(arms.planar2.fk([1.0, 0.5]).task);
  await b.page.evaluate((h) => { location.hash = h; }, `#arm=planar2&target=${planar.join(',')}&refine=1`);
  await b.page.waitForFunction(() => window.neurokin.armName === 'planar2');
  await ready(b.page);
  const u = await readState(b.page);
  assert.ok(errorMm(arms.planar2, planar, u.joints) < 0.01, `refined planar2 joints ${u.joints}`);
  // bad values are named, and the page still works
  const c = await open('#arm=robot9&target=1,x&backend=gpu&all=2');
  const v = await readState(c.page);
  assert.match(v.error, /arm: expected one of .*got 'robot9'/);
  assert.match(v.error, /target: entry 2 'x' is not a number/);
  assert.match(v.error, /backend: expected wasm or onnx, got 'gpu'/);
  assert.match(v.error, /all: expected 0 or 1, got '2'/);
  assert.equal(v.joints.length, 3);  // the default arm, puma3
  for (const p of [a, b, c]) await p.page.close();
});

test('refine: the error after refinement is within DLS\'s 0.01 mm tolerance and the network\'s own error is still shown', async () => {
  const target = Array.from(arms.puma3.fk([0.3, 0.9, -1.4]).task);
  const { page, problems } = await open(`#arm=puma3&target=${target.join(',')}&refine=1`);
  const s = await readState(page);
  assert.deepEqual(problems, []);
  // DLS stops at its position tolerance, 1e-5 m
  assert.ok(errorMm(arms.puma3, target, s.joints) <= 0.0101, `refined error ${errorMm(arms.puma3, target, s.joints)} mm`);
  assert.ok(s.errorMm <= 0.01);
  assert.match(await page.textContent('[data-testid=refine-result]'), /network alone: [0-9.]+ mm .* refined in \d+ iteration/);
  await page.close();
});

test('wasm and ONNX Runtime Web agree; ONNX Runtime is loaded only when chosen', async () => {
  const target = Array.from(arms.puma3.fk([0.5, 0.6, -1.0]).task);
  const w = await open(`#arm=puma3&target=${target.join(',')}&backend=wasm`);
  const requests = [];
  w.page.on('request', (r) => requests.push(r.url()));
  const sw = await readState(w.page);
  assert.equal(sw.backend, 'wasm');
  assert.ok(!(await w.page.evaluate(() => performance.getEntriesByType('resource').some((e) => /ort/.test(e.name)))),
            'ONNX Runtime was fetched before it was chosen');
  // switch on the page
  await w.page.click('[data-testid=backend-onnx]');
  await w.page.waitForFunction(() => document.querySelector('[data-testid=backend]').textContent === 'onnx', null, { timeout: 60000 });
  await ready(w.page);
  const so = await readState(w.page);
  const diff = Math.max(...so.joints.map((v, i) => Math.abs(v - sw.joints[i])));
  assert.ok(diff < 1e-4, `wasm ${sw.joints} vs onnx ${so.joints}`);
  assert.ok(requests.some((u) => /ort-wasm.*\.wasm/.test(u)), 'ONNX Runtime\'s wasm was not fetched');
  // timings and agreement are shown for both
  await w.page.waitForFunction(() => /rad/.test(document.querySelector('[data-testid=agreement]').textContent), null, { timeout: 30000 });
  assert.match(await w.page.textContent('[data-testid=time-wasm]'), /(µs|ms) \/ prediction/);
  assert.match(await w.page.textContent('[data-testid=time-onnx]'), /(µs|ms) \/ prediction/);
  // and a link straight to the ONNX backend
  const o = await open(`#arm=puma3&target=${target.join(',')}&backend=onnx`);
  const s2 = await readState(o.page);
  assert.equal(s2.backend, 'onnx');
  assert.ok(Math.max(...s2.joints.map((v, i) => Math.abs(v - sw.joints[i]))) < 1e-4);
  assert.deepEqual([...w.problems, ...o.problems], []);
  await w.page.close();
  await o.page.close();
});

test('a broken model URL, a malformed file and a model for another arm: a message, and the page keeps working', async () => {
  const { page, problems } = await open('#arm=planar2&model=models/planar2/missing.json', { allow: [/404/] });
  let s = await readState(page);
  assert.match(s.error, /missing\.json.*HTTP 404/);
  assert.equal(s.backend, 'wasm');  // the shipped model took over
  assert.equal(s.joints.length, 2);
  // a malformed JSON file through the file dialog
  await page.setInputFiles('[data-testid=file]', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "neurokin-model", ') });
  await page.waitForFunction(() => /broken\.json/.test(document.querySelector('[data-testid=error]').textContent));
  await ready(page);
  s = await readState(page);
  assert.match(s.error, /broken\.json: new Model: model: not valid JSON/);
  // a model for another arm (puma3's on planar2)
  await page.setInputFiles('[data-testid=file]', { name: 'puma3-ik.json', mimeType: 'application/json',
                                                   buffer: fs.readFileSync(path.join(repoDir, 'models', 'puma3', 'ik.json')) });
  await page.waitForFunction(() => /puma3-ik\.json/.test(document.querySelector('[data-testid=error]').textContent));
  await ready(page);
  s = await readState(page);
  assert.match(s.error, /maps 3 inputs to 3 outputs; planar2 needs 2 \(planar_xy\) to 2 joint angles|for the arm 'puma3', not 'planar2'/);
  // an ONNX file that is not one
  await page.setInputFiles('[data-testid=file]', { name: 'junk.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from([1, 2, 3, 4, 5]) });
  await page.waitForFunction(() => /junk\.onnx/.test(document.querySelector('[data-testid=error]').textContent), null, { timeout: 60000 });
  await ready(page);
  s = await readState(page);
  assert.match(s.error, /junk\.onnx: .*ONNX/i);
  // the page still works: a good model file, then another arm
  await page.setInputFiles('[data-testid=file]', { name: 'planar2-ik.onnx', mimeType: 'application/octet-stream',
                                                   buffer: fs.readFileSync(path.join(repoDir, 'models', 'planar2', 'ik.onnx')) });
  await page.waitForFunction(() => /planar2-ik\.onnx/.test(document.querySelector('[data-testid=model-name]').textContent), null, { timeout: 60000 });
  await ready(page);
  s = await readState(page);
  assert.equal(s.backend, 'onnx');
  assert.ok(errorMm(arms.planar2, s.target, s.joints) < expectedMaxMm('planar2') + 0.01);
  await page.click('[data-testid=arm-kr6]');
  await page.waitForFunction(() => window.neurokin.armName === 'kr6');
  await ready(page);
  s = await readState(page);
  assert.equal(s.joints.length, 6);
  assert.deepEqual(problems, []);
  await page.close();
});

test('joint sliders (FK mode) drive the arm; the network\'s answer for the tool pose is measured', async () => {
  const { page, problems } = await open('#arm=planar2');
  await page.click('[data-testid=mode-fk]');
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid=slider-1]');
    el.value = '-0.8';
    el.dispatchEvent(new Event('input'));
  });
  await page.waitForFunction(() => document.querySelector('[data-testid=joints]').textContent.endsWith('-0.800000'));
  await ready(page);
  const s = await readState(page);
  const q = await page.evaluate(() => Array.from(window.neurokin.q));  // unrounded
  assert.ok(Math.abs(q[1] + 0.8) < 1e-12 && q.every((v, i) => Math.abs(v - s.joints[i]) < 1e-6), `slider q ${q}`);
  const target = Array.from(arms.planar2.fk(q).task);
  s.target.forEach((v, i) => assert.ok(Math.abs(v - target[i]) < 1e-9));
  // the error shown is the network's for this tool pose
  const net = await page.evaluate(() => Array.from(window.neurokin.qNet));
  assert.ok(Math.abs(errorMm(arms.planar2, target, net) - s.errorMm) < 0.006);
  assert.deepEqual(problems, []);
  await page.close();
});

test('workspace slice: 64 x 64 in a Web Worker within 250 ms, by class and by network error', async () => {
  for (const name of ['puma3', 'kr6']) {
    const { page, problems } = await open(`#arm=${name}`);
    await page.check('[data-testid=slice]');
    await page.waitForFunction(() => document.querySelector('[data-testid=slice-status]').dataset.ms, null, { timeout: 30000 });
    // the first slice includes the worker's start-up; time a second one
    await page.evaluate(() => { delete document.querySelector('[data-testid=slice-status]').dataset.ms; });
    await page.click(name === 'kr6' ? '[data-testid=slice-plane-vertical]' : '[data-testid=slice-error]');
    await page.waitForFunction(() => document.querySelector('[data-testid=slice-status]').dataset.ms, null, { timeout: 30000 });
    const ms = Number(await page.getAttribute('[data-testid=slice-status]', 'data-ms'));
    assert.ok(ms <= 250, `${name}: 64 x 64 slice took ${ms} ms`);
    // by class: the classifier's; the network's error: where the core finds the target reachable
    assert.equal(await page.getAttribute('[data-testid=slice-status]', 'data-source'), name === 'kr6' ? 'classifier' : 'exact');
    assert.match(await page.textContent('[data-testid=slice-status]'), /64 × 64 in \d+ ms .*% reachable/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotsDir, `${name}-slice.png`) });
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test('feasibility: the arm\'s shipped classifier gives the class of a clearly unreachable and of a well-inside target', async () => {
  // far beyond each arm's reach; and the forward kinematics of a seeded configuration that both the
  // classifier (by a clear margin) and the core call reachable
  const far = { planar2: [3.5, 0.5], puma3: [2.0, 0.3, 0.6], omx4: [0.9, 0.1, 0.2, 0], kr6: [2.0, 0.2, 0.5, 0, 0, 0, 1] };
  for (const [name, arm] of Object.entries(arms)) {
    assert.ok(index.feasibility?.[name], `${name}: no classifier staged in web/dist (index.json)`);
    const samples = arm.taskVectors(arm.sample(200, 3), 200);
    const exact = arm.classifyPoses(samples, 200).classIndex;
    const net = classifierClasses(name, samples, 200);
    const i = net.findIndex((c, k) => c.classIndex > 0 && c.classIndex === exact[k] && c.margin > 0.5);
    assert.ok(i >= 0, `${name}: no seeded target the classifier calls reachable with a margin`);
    const inside = Array.from(samples.subarray(i * arm.taskSize, (i + 1) * arm.taskSize));
    for (const [target, expected] of [[far[name], 'unreachable'], [inside, net[i].class]]) {
      assert.equal(classifierClasses(name, target, 1)[0].class, expected, `${name} ${target}: the classifier here says otherwise`);
      const { page, problems } = await open(`#arm=${name}&target=${target.join(',')}`);
      const f = await readFeasibility(page);
      assert.equal(f.shown, expected, `${name} ${target}`);
      assert.equal(f.source, 'classifier');
      assert.equal(f.marker, colourOf(expected), `${name}: the target marker's colour`);
      assert.equal(f.note, null);
      assert.equal(f.differ, null, `${name} ${target}: the core agrees here`);
      assert.deepEqual(problems, []);
      await page.close();
    }
  }
});

test('feasibility: the switch between the classifier and the exact class; where they disagree the page says what each says', async () => {
  // a reachable puma3 target (seeded) where the classifier, by a clear margin, is not the core
  const arm = arms.puma3, n = 3000;
  const targets = arm.taskVectors(arm.sample(n, 5), n);
  const exact = arm.classifyPoses(targets, n).classIndex;
  const net = classifierClasses('puma3', targets, n);
  const i = net.findIndex((c, k) => c.classIndex !== exact[k] && c.margin > 0.1);
  assert.ok(i >= 0, 'no seeded target where the classifier and the core disagree');
  const target = Array.from(targets.subarray(3 * i, 3 * i + 3));
  const [netClass, exactClass] = [net[i].class, CLASSES[exact[i]]];
  const { page, problems } = await open(`#arm=puma3&target=${target.join(',')}`);
  let f = await readFeasibility(page);
  assert.deepEqual([f.shown, f.source, f.marker], [netClass, 'classifier', colourOf(netClass)]);
  assert.ok(f.differ, 'no disagreement shown');
  assert.deepEqual([f.differ.classifier, f.differ.exact], [netClass, exactClass]);
  assert.match(f.differ.text, /disagree/);
  await page.click('[data-testid=feasibility-exact]');
  f = await readFeasibility(page);
  assert.deepEqual([f.shown, f.source, f.marker], [exactClass, 'exact', colourOf(exactClass)]);
  assert.ok(f.differ, 'the disagreement is shown from either side');
  assert.ok(await page.$eval('[data-testid=feasibility-exact]', (b) => b.classList.contains('on')));
  // the choice is in the link, and a link opens with it
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /&feas=exact/);
  const again = await open(hash);
  f = await readFeasibility(again.page);
  assert.deepEqual([f.shown, f.source], [exactClass, 'exact']);
  assert.deepEqual(again.problems, []);
  await again.page.close();
  await page.click('[data-testid=feasibility-classifier]');
  f = await readFeasibility(page);
  assert.deepEqual([f.shown, f.source], [netClass, 'classifier']);
  assert.doesNotMatch(await page.evaluate(() => location.hash), /feas=/);
  await page.evaluate(() => document.querySelector('#legend').scrollIntoView({ block: 'center' }));
  await page.screenshot({ path: path.join(shotsDir, 'puma3-feasibility-differ.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('feasibility: when the classifier cannot load, the core\'s exact class and a note saying why', async () => {
  const cases = [
    // a dead file, and another arm's classifier in its place
    ['planar2', [0.4, 1.2], (route) => route.fulfill({ status: 404, body: 'not found' }), /did not load: .*HTTP 404/],
    ['omx4', [0.2, 0.05, 0.15, 0.3], (route) => route.fulfill({ path: path.join(repoDir, 'models', 'puma3', 'feasibility.json') }),
     /did not load: it maps 3 inputs to 4 classes; omx4 needs 4 \(position_pitch\) to 4/],
  ];
  for (const [name, target, answer, reason] of cases) {
    const { page, problems } = await open(`#arm=${name}&target=${target.join(',')}`, {
      allow: [/404/], setup: (p) => p.route(`**/models/${name}/feasibility.json`, answer),
    });
    const f = await readFeasibility(page);
    const exact = arms[name].classifyPose(Float64Array.from(target)).class;
    assert.ok(f.note, `${name}: no note`);
    assert.match(f.note.text, reason);
    assert.match(f.note.text, /exact one \(IK \+ conditioning\)/);
    assert.deepEqual([f.shown, f.source, f.classifierButton, f.differ], [exact, 'exact', false, null]);
    assert.equal((await readState(page)).error, null, 'a missing classifier is a note, not an error');
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test('workspace slice: coloured by the classifier, each cell its likeliest class; by the exact class when switched; where the two differ', async () => {
  const arm = arms.puma3, n = 64 * 64;
  const { page, problems } = await open('#arm=puma3&target=0.45,0.35,0.7');
  await page.check('[data-testid=slice]');
  await page.waitForFunction(() => document.querySelector('[data-testid=slice-status]').dataset.ms, null, { timeout: 30000 });
  const byNet = await nextSlice(page, '[data-testid=slice-plane-vertical]');
  assert.ok(byNet.ms <= 250, `64 x 64 by the classifier took ${byNet.ms} ms`);
  assert.equal(byNet.source, 'classifier');
  assert.match(byNet.text, /reachable according to the classifier/);
  const targets = sliceTargets(64, byNet.basis, [], 3, 3);
  const expected = classifierClasses('puma3', targets, n).map((c) => c.classIndex);
  assert.deepEqual(byNet.classes, expected, 'each cell is the classifier\'s class');
  byNet.classes.forEach((c, k) => assert.deepEqual(byNet.rgba.slice(4 * k, 4 * k + 3), hexToRgb(PAGE_CLASSES[c].colour)));
  // the exact class, when switched: the core's, and not everywhere the classifier's
  const byCore = await nextSlice(page, '[data-testid=feasibility-exact]');
  assert.equal(byCore.source, 'exact');
  assert.deepEqual(byCore.classes, Array.from(arm.classifyPoses(targets, n).classIndex));
  const differ = byCore.classes.filter((c, k) => c !== expected[k]).length;
  // (puma3's classifier is 99.56% right on poses drawn as in training; a slice crosses more class
  // boundaries than those do)
  assert.ok(differ > 0 && differ < n / 10, `the two differ on ${differ} cells`);
  // where they differ: those cells in the one colour no class uses, and their count
  const both = await nextSlice(page, '[data-testid=slice-differ]');
  const count = (test) => expected.filter((c, k) => c !== byCore.classes[k] && test(c, byCore.classes[k])).length;
  const [netOnly, coreOnly] = [count((a, b) => b === 0), count((a, b) => a === 0)];
  assert.match(both.text, new RegExp(`differ on ${differ} cells \\(\\d+%\\): ${netOnly} reachable by the classifier only, ` +
                                     `${coreOnly} by the core only, ${differ - netOnly - coreOnly} another class`));
  const magenta = hexToRgb(DIFFER_COLOUR);
  const marked = expected.filter((c, k) => both.rgba.slice(4 * k, 4 * k + 3).every((v, j) => v === magenta[j]));
  assert.equal(marked.length, differ);
  console.log(`# puma3 slice: by the classifier ${byNet.ms} ms, exact ${byCore.ms} ms, both ${both.ms} ms; ${differ} of ${n} cells differ`);
  await page.screenshot({ path: path.join(shotsDir, 'puma3-slice-differ.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('path mode: the tool follows a circle and the error trace is drawn', async () => {
  const { page, problems } = await open('#arm=puma3');
  await page.click('[data-testid=mode-path]');
  await page.waitForFunction(() => /mean [0-9.]+ mm, max [0-9.]+ mm/.test(document.querySelector('[data-testid=path-stats]').textContent),
                             null, { timeout: 20000 });
  await page.waitForTimeout(1500);
  const stats = await page.textContent('[data-testid=path-stats]');
  const [, mean, max] = stats.match(/mean ([0-9.]+) mm, max ([0-9.]+) mm/).map(Number);
  assert.ok(mean > 0 && max < expectedMaxMm('puma3') + 0.01, `path errors: ${stats}`);
  await page.screenshot({ path: path.join(shotsDir, 'puma3-path.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

// path mode opened from hash and left running for a good part of the lap (2.5 s): the page, its
// console problems, and what the path stats say (largest joint change a frame, solver, text),
// the joints and the link at that moment
async function followPath(hash) {
  const { page, problems } = await open(hash);
  await page.click('[data-testid=mode-path]');
  await page.waitForFunction(() => /largest joint change/.test(document.querySelector('[data-testid=path-stats]').textContent),
                             null, { timeout: 20000 });
  await page.waitForTimeout(2500);
  const seen = await page.evaluate(() => {
    const stats = document.querySelector('[data-testid=path-stats]');
    return { maxJump: Number(stats.dataset.maxJump), solver: stats.dataset.solver, text: stats.textContent,
             q: Array.from(window.neurokin.q), hash: location.hash };
  });
  return { page, problems, ...seen };
}

test('path mode on puma3 with the trajectory model: the tool follows the circle with small joint steps', async () => {
  const { page, problems, ...seen } = await followPath('#arm=puma3&solver=trajectory');
  assert.equal(seen.solver, 'trajectory', seen.text);
  assert.match(seen.hash, /solver=trajectory/);
  // steps of at most 5 cm (the first ones close the 0.22 m from the start to the circle): tenths
  // of a radian a frame at most, where a branch flip is over 1 rad
  assert.ok(seen.maxJump < 0.3, `trajectory model: ${seen.text}`);
  const err = Number(await page.textContent('[data-testid=tool-error-mm]'));
  assert.ok(err < 10, `trajectory model: ${err} mm from the target`);
  console.log(`# puma3 path with the trajectory model: ${seen.text}`);
  await page.screenshot({ path: path.join(shotsDir, 'puma3-path-trajectory.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('path mode on planar2 from an elbow_down start: the trajectory model keeps the branch, the IK model flips', async () => {
  // tool at (1.5, 0) on the elbow_down branch (q2 > 0); the shipped ik model answers elbow_up there
  const elbowDown = [-0.722734, 1.445468];
  const follow = (solver) =>
    followPath(`#arm=planar2&mode=fk&q=${elbowDown.join(',')}${solver === 'trajectory' ? '&solver=trajectory' : ''}`);

  const traj = await follow('trajectory');
  assert.equal(traj.solver, 'trajectory', traj.text);
  assert.match(traj.hash, /solver=trajectory/);
  // steps of at most 5 cm: hundredths of a radian a frame, never a flip; still elbow_down
  assert.ok(traj.maxJump < 0.2, `trajectory model: ${traj.text}`);
  assert.ok(traj.q[1] > 0, `trajectory model left elbow_down: q = ${traj.q}`);
  // on the path by now: the tool within a few mm of the moving target
  const err = Number(await traj.page.textContent('[data-testid=tool-error-mm]'));
  assert.ok(err < 10, `trajectory model: ${err} mm from the target`);
  await traj.page.screenshot({ path: path.join(shotsDir, 'planar2-path-trajectory.png') });
  assert.deepEqual(traj.problems, []);
  await traj.page.close();

  const stateless = await follow('model');
  assert.equal(stateless.solver, 'model');
  assert.ok(stateless.maxJump > 1, `the IK model was expected to flip: ${stateless.text}`);
  assert.ok(stateless.q[1] < 0, `the IK model answers elbow_up: q = ${stateless.q}`);
  console.log(`# planar2 path from elbow_down: largest joint change a frame ${traj.maxJump.toFixed(3)} rad (trajectory model), ` +
              `${stateless.maxJump.toFixed(3)} rad (IK model)`);
  await stateless.page.screenshot({ path: path.join(shotsDir, 'planar2-path-ik-model.png') });
  assert.deepEqual(stateless.problems, []);
  await stateless.page.close();
});

test('initial load without ONNX Runtime: the page and the wasm core within 600 KB gzipped', async () => {
  // what the page fetches before any model: index.html, its own script and style, the core
  const { page, problems } = await open('#arm=kr6');  // kr6 ships no model: nothing else loads
  const files = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  const own = [server.url, ...files.filter((u) => u.startsWith(server.url))]
    .map((u) => new URL(u).pathname).filter((p) => !p.startsWith('/models/'));
  assert.ok(!own.some((p) => /ort/.test(p)), `ONNX Runtime was loaded: ${own}`);
  let total = 0;
  for (const p of new Set(own)) {
    const file = path.join(distDir, p.endsWith('/') ? `${p}index.html` : p);
    total += zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
  }
  console.log(`# initial load: ${new Set(own).size} files, ${(total / 1024).toFixed(0)} KB gzipped (models not counted)`);
  assert.ok(total <= 600 * 1024, `initial load ${(total / 1024).toFixed(0)} KB gzipped`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('omx4 pitch slider and a model given by URL (an .onnx file runs on ONNX Runtime)', async () => {
  // refined, so the pitch is the DLS's (omx4's network alone is within a degree or so)
  const { page, problems } = await open('#arm=omx4&refine=1');
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid=pitch]');
    el.value = '-20';
    el.dispatchEvent(new Event('input'));
  });
  await page.waitForFunction(() => Math.abs(window.neurokin.target[3] + (20 * Math.PI) / 180) < 1e-12);
  await ready(page);
  const s = await readState(page);
  const q = await page.evaluate(() => Array.from(window.neurokin.qGoal));
  const pitch = arms.omx4.fk(q).task[3];
  assert.ok(Math.abs(pitch + (20 * Math.PI) / 180) < 2e-4, `omx4 pitch ${pitch}`);  // DLS: 1e-4 rad
  assert.ok(errorMm(arms.omx4, s.target, q) < 0.0101, `omx4 error ${errorMm(arms.omx4, s.target, q)} mm`);
  await page.close();
  const o = await open('#arm=planar2&model=models%2Fplanar2%2Fik.onnx');
  const t = await readState(o.page);
  assert.equal(t.backend, 'onnx');
  assert.match(await o.page.textContent('[data-testid=model-name]'), /ik\.onnx/);
  assert.match(decodeURIComponent(t.hash), /model=models\/planar2\/ik\.onnx/);
  assert.ok(errorMm(arms.planar2, t.target, t.joints) < expectedMaxMm('planar2') + 0.01);
  assert.deepEqual([...problems, ...o.problems], []);
  await o.page.close();
});

// ---- all solutions -----------------------------------------------------------------------------

// what the solutions list shows, and how many ghosts and labels are drawn
async function readSolutions(page) {
  return page.evaluate(() => {
    const list = document.querySelector('[data-testid=solutions]');
    const view = window.neurokin.view;
    return {
      count: Number(list.dataset.count),
      source: list.dataset.source,
      items: Array.from(list.querySelectorAll('li'), (li) => ({
        branch: li.dataset.branch, q: li.dataset.q.split(',').map(Number), errorMm: Number(li.dataset.errorMm),
        probability: li.dataset.probability === undefined ? null : Number(li.dataset.probability),
        shown: li.dataset.shown === '1', text: li.textContent,
      })),
      ghosts: view.solutionGhosts.filter((g) => g.group.visible).length,
      labels: Array.from(document.querySelectorAll('.ghost-label'), (el) => el.textContent),
      hash: location.hash,
    };
  });
}

// the closed-form solutions on the page are the core's, each exact, one ghost and label each
function checkClosedForm(name, target, sol) {
  const want = arms[name].ikAnalytic(Float64Array.from(target));
  assert.equal(sol.source, 'closed-form', name);
  assert.ok(want.length >= 2, `${name}: pick a target with several solutions (${want.length})`);
  assert.equal(sol.count, want.length, `${name}: ${sol.count} solutions shown, the core finds ${want.length}`);
  assert.deepEqual(sol.items.map((s) => s.branch).sort(), want.map((s) => s.branch).sort());
  assert.equal(sol.ghosts, want.length, `${name}: ${sol.ghosts} ghosts drawn`);
  assert.equal(sol.labels.length, want.length);
  for (const s of sol.items) {
    const mm = errorMm(arms[name], target, s.q);
    assert.ok(mm <= 1e-3, `${name} ${s.branch}: FK is ${mm} mm from the target`);  // 1e-6 m
    assert.ok(Math.abs(s.errorMm - mm) <= 1e-6, `${name} ${s.branch}: shows ${s.errorMm} mm, the core says ${mm}`);
  }
}

test('all solutions (closed form): every branch within the limits as a labelled ghost; the toggle and all=1', async () => {
  // puma3 through the hash; the shipped model has no branch heads, so the core's closed form
  const target = Array.from(arms.puma3.fk([0.4, 0.8, -1.2]).task);
  const { page, problems } = await open(`#arm=puma3&target=${target.join(',')}&all=1`);
  let sol = await readSolutions(page);
  checkClosedForm('puma3', target, sol);
  assert.match(decodeURIComponent(sol.hash), /&all=1/);
  assert.equal(sol.items.filter((s) => s.shown).length, 1, 'the arm\'s own solution is marked');
  assert.ok(sol.labels.every((l) => /(shoulder|elbow)/.test(l)), `labels ${sol.labels}`);
  await page.waitForTimeout(900);
  await page.screenshot({ path: path.join(shotsDir, 'puma3-solutions.png') });
  // kr6 by the panel's toggle: eight branches (within the limits, for this target)
  await page.click('[data-testid=arm-kr6]');
  await page.waitForFunction(() => window.neurokin.armName === 'kr6');
  await ready(page);
  const kr6 = Array.from(arms.kr6.fk([0.3, -0.6, 0.9, 0.5, -0.8, 0.4]).task);
  await page.evaluate((h) => { location.hash = h; }, `#arm=kr6&target=${kr6.join(',')}`);
  await page.waitForFunction((t) => Math.abs(window.neurokin.target[0] - t) < 1e-9, kr6[0]);
  await ready(page);
  sol = await readSolutions(page);
  assert.equal(sol.count, 0);
  assert.equal(sol.ghosts, 0);
  await page.check('[data-testid=all-solutions]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=solutions]').dataset.count) > 0);
  sol = await readSolutions(page);
  checkClosedForm('kr6', kr6, sol);
  assert.match(decodeURIComponent(sol.hash), /&all=1/);
  await page.uncheck('[data-testid=all-solutions]');
  sol = await readSolutions(page);
  assert.equal(sol.count, 0);
  assert.equal(sol.ghosts, 0);
  assert.equal(sol.labels.length, 0);
  assert.doesNotMatch(sol.hash, /all=/);
  assert.deepEqual(problems, []);
  await page.close();
});

// a small omx4 network with two branch heads, trained by the CLI from a committed config:
//   neurokin train --config models/fixtures/omx4_heads.config.json --out build/fixture/omx4_heads --threads 1
// (3 s; then copy build/fixture/omx4_heads.json to models/fixtures/)
const headsFixture = path.join(repoDir, 'models', 'fixtures', 'omx4_heads.json');

// an omx4 target with "show all solutions" on and the model file at file loaded into the page:
// the model in the core too, the page's solution list (its source must be source) and state
async function omx4AllSolutions(file, source) {
  const text = fs.readFileSync(file, 'utf8');
  const model = new NK.Model(text);
  const arm = arms.omx4;
  const target = Array.from(arm.fk([0.5, -0.4, 0.3, 0.6]).task);
  const { page, problems } = await open(`#arm=omx4&target=${target.join(',')}&all=1`);
  await page.setInputFiles('[data-testid=file]', { name: path.basename(file), mimeType: 'application/json', buffer: Buffer.from(text) });
  await page.waitForFunction((want) => document.querySelector('[data-testid=solutions]').dataset.source === want, source);
  await ready(page);
  const sol = await readSolutions(page);
  const s = await readState(page);
  assert.equal(s.error, null);
  return { model, arm, target, page, problems, sol, s };
}

test('all solutions (branch heads): each head\'s answer, its probability and its FK error, as the core computes them', async () => {
  const { model, arm, target, page, problems, sol, s } = await omx4AllSolutions(headsFixture, 'heads');
  // the core in Node on the same target: every head's answer and the softmax of their logits
  const { outputs, probabilities } = model.predictBranches(Float32Array.from(target), 1);
  assert.equal(sol.count, model.branches.length);
  assert.equal(sol.ghosts, model.branches.length);
  assert.deepEqual(sol.items.map((x) => x.branch), model.branches);
  const headMax = headMaxMm(model, arm);
  sol.items.forEach((x, k) => {
    const q = arm.wrapIntoLimits(outputs.subarray(k * arm.dof, (k + 1) * arm.dof)).q;
    assert.ok(Math.max(...x.q.map((v, i) => Math.abs(v - q[i]))) < 1e-6, `${x.branch}: page ${x.q}, core ${Array.from(q)}`);
    assert.ok(Math.abs(x.probability - probabilities[k]) < 1e-6);
    const mm = errorMm(arm, target, x.q);
    assert.ok(Math.abs(x.errorMm - mm) < 1e-6, `${x.branch}: shows ${x.errorMm} mm, the core says ${mm}`);
    assert.ok(mm <= headMax[k], `${x.branch}: the head's answer is ${mm.toFixed(2)} mm from the target (its max ${headMax[k]})`);
    assert.match(x.text, /\d+(\.\d)?%/);
  });
  assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  // the arm shows the likeliest head's answer, and the list says which
  const best = probabilities.indexOf(Math.max(...probabilities));
  assert.ok(sol.items[best].shown, `the likeliest head (${sol.items[best].branch}) is not marked as shown`);
  assert.ok(Math.max(...s.joints.map((v, i) => Math.abs(v - sol.items[best].q[i]))) < 1e-5);
  assert.ok(sol.items[best].errorMm <= modelMaxMm(model), `the likeliest head is ${sol.items[best].errorMm} mm off`);
  assert.ok(sol.labels.every((l) => /elbow .*\d+%/.test(l)), `labels ${sol.labels}`);
  await page.waitForTimeout(900);
  await page.screenshot({ path: path.join(shotsDir, 'omx4-heads.png') });
  assert.deepEqual(problems, []);
  model.delete();
  await page.close();
});

test('all solutions (clustered model): every cluster\'s candidate as a ghost, the FK-consistent one on the arm', async () => {
  const { model, arm, target, page, problems, sol, s } =
    await omx4AllSolutions(path.join(repoDir, 'models', 'omx4', 'ik-clustered.json'), 'clusters');
  // the core in Node on the same target: every cluster's candidate and the FK-consistent choice
  const { outputs, chosen } = model.predictCandidates(Float32Array.from(target), 1);
  assert.ok(model.clusters >= 2);
  assert.equal(sol.count, model.clusters);
  assert.equal(sol.ghosts, model.clusters);
  sol.items.forEach((x, k) => {
    const q = arm.wrapIntoLimits(outputs.subarray(k * arm.dof, (k + 1) * arm.dof)).q;
    assert.ok(Math.max(...x.q.map((v, i) => Math.abs(v - q[i]))) < 1e-6, `${x.branch}: page ${x.q}, core ${Array.from(q)}`);
    const mm = errorMm(arm, target, x.q);
    assert.ok(Math.abs(x.errorMm - mm) < 1e-6, `${x.branch}: shows ${x.errorMm} mm, the core says ${mm}`);
  });
  // the arm takes the chosen candidate, and the list marks it
  const best = chosen[0];
  assert.ok(sol.items[best].shown, `the chosen cluster (${best}) is not marked as shown`);
  assert.ok(Math.max(...s.joints.map((v, i) => Math.abs(v - sol.items[best].q[i]))) < 1e-5);
  assert.ok(sol.items[best].errorMm < 20, `the FK-consistent candidate is ${sol.items[best].errorMm} mm off`);
  await page.waitForTimeout(900);
  await page.screenshot({ path: path.join(shotsDir, 'omx4-clusters.png') });
  assert.deepEqual(problems, []);
  model.delete();
  await page.close();
});

// ---- kr6: rotating the target ----------------------------------------------------------------

// the angle between two unit quaternions (x, y, z, w), in degrees
function quaternionAngleDeg(a, b) {
  const dot = Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  return (2 * Math.acos(Math.min(1, dot)) * 180) / Math.PI;
}

test('kr6: the rotate gizmo turns the target; the predicted joints follow within the model\'s orientation error', async () => {
  const arm = arms.kr6;
  const evalFile = JSON.parse(fs.readFileSync(path.join(repoDir, 'models', 'kr6', 'ik.eval.json'), 'utf8'));
  // a pose in the well-covered middle of the workspace, so the network's p95 errors apply
  const start = Array.from(arm.fk([0.2, -1.0, 1.1, 0.3, 0.8, -0.2]).task);
  const { page, problems } = await open(`#arm=kr6&target=${start.join(',')}`);
  const before = await readState(page);
  await page.click('[data-testid=gizmo-rotate]');
  assert.equal(await page.evaluate(() => window.neurokin.view.gizmo.mode), 'rotate');
  // find the ring for the target's y axis (a turn the wrist's three joints must make): hover
  // points around the target until the gizmo highlights it (its own picking, as a mouse finds it)
  const centre = await page.evaluate(() => {
    const v = window.neurokin.view, p = v.target.position.clone().project(v.camera);
    const r = v.renderer.domElement.getBoundingClientRect();
    return [r.left + ((p.x + 1) / 2) * r.width, r.top + ((1 - p.y) / 2) * r.height];
  });
  let handle = null;
  search: for (let radius = 30; radius <= 200; radius += 10) {
    for (let k = 0; k < 24; ++k) {
      const a = (2 * Math.PI * k) / 24, x = centre[0] + radius * Math.cos(a), y = centre[1] + radius * Math.sin(a);
      await page.mouse.move(x, y);
      if (await page.evaluate(() => window.neurokin.view.gizmo.axis) === 'Y') {
        handle = [x, y, a];
        break search;
      }
    }
  }
  assert.ok(handle, 'no point around the target picks the rotate gizmo\'s Y ring');
  // drag along the ring (tangentially)
  const [x, y, a] = handle;
  await page.mouse.down();
  for (let i = 1; i <= 8; ++i) await page.mouse.move(x - Math.sin(a) * 4 * i, y + Math.cos(a) * 4 * i);
  await page.mouse.up();
  await page.waitForFunction((q) => Math.abs(window.neurokin.target[6] - q) > 1e-4, before.target[6]);
  await ready(page);
  const s = await readState(page);
  // the target turned, in place; the hash has the new quaternion
  const turned = quaternionAngleDeg(before.target.slice(3), s.target.slice(3));
  assert.ok(turned > 5, `the target turned by ${turned.toFixed(2)} degrees only`);
  assert.ok(Math.hypot(...[0, 1, 2].map((i) => s.target[i] - before.target[i])) < 1e-6, 'rotating moved the target');
  assert.ok(Math.abs(Math.hypot(...s.target.slice(3)) - 1) < 1e-9);
  assert.match(decodeURIComponent(s.hash), new RegExp(`target=${s.target.map((v) => Number(v.toFixed(6))).join(',')}`));
  // the arm follows: new joints, the tool turned with the target (the network's errors)
  assert.ok(Math.max(...s.joints.map((v, i) => Math.abs(v - before.joints[i]))) > 0.01, 'the joints did not change');
  const [pos, rot] = arm.taskErrors(Float64Array.from(s.target), Float64Array.from(s.joints), 1);
  const rotDeg = (rot * 180) / Math.PI;
  const maxDeg = evalFile.network.orientation_p95_deg;
  console.log(`# kr6 rotate: target turned ${turned.toFixed(1)} deg about its y axis; network's answer ` +
              `${(pos * 1000).toFixed(2)} mm / ${rotDeg.toFixed(2)} deg off (model p95 ${maxDeg.toFixed(2)} deg)`);
  assert.ok(rotDeg <= maxDeg, `tool orientation ${rotDeg.toFixed(2)} deg off the rotated target (model p95 ${maxDeg.toFixed(2)} deg)`);
  assert.ok(pos * 1000 <= evalFile.network.position_p95_mm, `tool ${(pos * 1000).toFixed(2)} mm off the target`);
  // the tool's orientation moved with the target, by about the same angle
  const toolBefore = arm.fk(before.joints).quaternion, toolAfter = arm.fk(s.joints).quaternion;
  assert.ok(Math.abs(quaternionAngleDeg(toolBefore, toolAfter) - turned) <= 2 * maxDeg,
            `the tool turned ${quaternionAngleDeg(toolBefore, toolAfter).toFixed(2)} deg, the target ${turned.toFixed(2)} deg`);
  // the page shows that error, to the 0.01 degree printed
  const shownDeg = Number((await page.textContent('[data-testid=tool-error-deg]')).replace('°', ''));
  assert.ok(Math.abs(shownDeg - rotDeg) <= 0.006, `shows ${shownDeg} deg, the core says ${rotDeg}`);
  // refined, the rotated pose is reached to DLS's 1e-4 rad
  await page.check('[data-testid=refine]');
  await ready(page);
  const r = await readState(page);
  const [, rotRefined] = arm.taskErrors(Float64Array.from(r.target), Float64Array.from(r.joints), 1);
  assert.ok(rotRefined <= 1.01e-4, `refined orientation error ${rotRefined} rad`);
  await page.screenshot({ path: path.join(shotsDir, 'kr6-rotated.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

// ---- sharing (docs/sharing.md) -------------------------------------------------------------------

// Copy link, and the link it made (data-inline: the model is inside it; data-refused: it would not fit)
async function copyLink(page, button = '[data-testid=share]') {
  await page.evaluate(() => { document.querySelector('[data-testid=share-url]').value = ''; });
  await page.click(button);
  await page.waitForFunction(() => document.querySelector('[data-testid=share-url]').value !== '');
  return page.evaluate(() => {
    const out = document.querySelector('[data-testid=share-url]');
    return { link: out.value, inline: out.dataset.inline === '1', refused: out.dataset.refused === '1',
             note: document.querySelector('[data-testid=share-note]').textContent };
  });
}

// what a link must reopen besides the joints
async function readView(page) {
  return page.evaluate(() => {
    const app = window.neurokin, v = app.view;
    return {
      arm: app.armName, mode: app.mode, refine: app.refine, all: app.allSolutions, backend: app.backendChoice,
      target: Array.from(app.target), camera: [...v.camera.position.toArray(), ...v.orbit.target.toArray()],
      sliders: Array.from(document.querySelectorAll('[data-testid=sliders] input'), (el) => Number(el.value)),
      hidden: Array.from(document.querySelectorAll('#panel section[data-section]'), (el) => (el.hidden ? el.dataset.section : null)).filter(Boolean),
      classroom: document.body.classList.contains('classroom'), speed: app.clock.speed,
    };
  });
}

const close = (a, b, tol) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol);

// orbit the camera with the mouse, from a point of the view away from the arm and the gizmo
async function orbitCamera(page) {
  const box = await page.locator('#stage canvas').boundingBox();
  await page.mouse.move(box.x + box.width * 0.85, box.y + box.height * 0.8);
  await page.mouse.down();
  for (let i = 1; i <= 8; ++i) await page.mouse.move(box.x + box.width * 0.85 - 12 * i, box.y + box.height * 0.8 - 4 * i);
  await page.mouse.up();
  await page.waitForFunction(() => /camera=/.test(location.hash));
  // the orbit's damping would carry the camera on for many frames (slow ones on a busy machine):
  // stop its inertia, then the hash follows once the camera rests
  await page.evaluate(() => {
    const o = window.neurokin.view.orbit;
    o.enableDamping = false;
    o.update();
    o.enableDamping = true;
  });
  await page.waitForFunction(() => {
    const v = window.neurokin.view, c = location.hash.match(/camera=([^&]*)/)?.[1].split(',').map(Number);
    return c && [...v.camera.position.toArray(), ...v.orbit.target.toArray()].every((x, i) => Math.abs(x - c[i]) < 1e-4);
  }, null, { timeout: 30000, polling: 200 });
}

test('Copy link: the link reopens the same joints and view (FK mode, camera, toggles); puma3\'s model is too large to inline', async () => {
  const { page, problems } = await open('#arm=puma3&refine=1&all=1');
  await page.click('[data-testid=mode-fk]');
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid=slider-0]');
    el.value = '-0.7';
    el.dispatchEvent(new Event('input'));
  });
  await page.waitForFunction(() => document.querySelector('[data-testid=joints]').textContent.startsWith('-0.700000'));
  await ready(page);
  await orbitCamera(page);
  const before = await readState(page), view = await readView(page);
  const made = await copyLink(page);
  // 448,518 weights: the inline link would pass the limit, so the link names the shipped model
  assert.equal(made.inline, false);
  assert.equal(made.refused, true);
  assert.match(made.note, /would make it [\d,]+ KB, over the 512 KB this page allows.*refers to the site's shipped puma3 model/);
  assert.doesNotMatch(made.link, /modeldata=/);
  assert.match(made.link, /mode=fk&q=-0\.7,/);
  const b = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await b.goto(made.link);
  await ready(b);
  const after = await readState(b), view2 = await readView(b);
  assert.deepEqual(after.joints, before.joints);
  assert.equal(after.error, null);
  assert.deepEqual({ ...view2, camera: null, target: null, sliders: null }, { ...view, camera: null, target: null, sliders: null });
  assert.ok(close(view2.sliders, view.sliders, 5e-6), `sliders ${view2.sliders} != ${view.sliders}`);  // 6 decimals in the link
  assert.ok(close(view2.target, view.target, 1e-6), `target ${view2.target} != ${view.target}`);
  assert.ok(close(view2.camera, view.camera, 1e-4), `camera ${view2.camera} != ${view.camera}`);
  assert.ok(view.camera.some((v, i) => Math.abs(v - [1.45, -1.45, 1.05][i % 3]) > 0.01), 'the camera did not move');
  assert.equal(decodeURIComponent(await b.evaluate(() => location.hash)), decodeURIComponent(new URL(made.link).hash));
  assert.deepEqual(problems, []);
  await page.close();
  await b.close();
});

test('an inline planar2 link: under the limit, with its size, and it works with the network blocked', async () => {
  const arm = arms.planar2;
  const target = Array.from(arm.fk([0.9, -1.2]).task).map((v) => Number(v.toFixed(6)));
  const { page, problems } = await open(`#arm=planar2&target=${target.join(',')}`);
  const made = await copyLink(page);
  const kb = made.link.length / 1024;
  console.log(`# inline planar2 link: ${made.link.length} characters (${kb.toFixed(0)} KB); ${made.note}`);
  assert.equal(made.inline, true);
  assert.ok(made.link.length <= 512 * 1024);
  assert.match(made.note, new RegExp(`^${Math.round(kb)} KB link: the model travels inside it \\(134,148 weights as float16`));
  const data = new URL(made.link).hash.match(/modeldata=([A-Za-z0-9_-]+)/)[1];
  // a fresh browser context where only the page itself loads: no models/, no other site
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const origin = new URL(server.url).origin, blocked = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin === origin && !u.pathname.startsWith('/models/')) return route.continue();
    blocked.push(u.pathname);
    return route.abort();
  });
  const b = await context.newPage();
  const errors = [];
  b.on('pageerror', (e) => errors.push(e.message));
  await b.goto(made.link);
  await ready(b);
  const s = await readState(b);
  assert.equal(s.error, null);
  assert.match(await b.textContent('[data-testid=model-name]'), /planar2\/ik from the link \(float16 weights\)/);
  assert.ok(blocked.some((p) => p.startsWith('/models/')), `nothing was blocked: ${blocked}`);
  // the joints are the float16 model's, as the core computes them here, and within the measured
  // float16 difference (share.test.mjs) of the page that made the link
  const model = new NK.Model(decodeModel(data));
  const q = arm.wrapIntoLimits(model.predict(Float32Array.from(target), 1)).q;
  assert.ok(close(s.joints, Array.from(q), 2e-6), `page ${s.joints}, core ${Array.from(q)}`);
  const original = await readState(page);
  assert.ok(close(s.joints, original.joints, 2.5e-3), `float16 ${s.joints} vs float32 ${original.joints}`);
  assert.ok(errorMm(arm, target, s.joints) <= expectedMaxMm('planar2') + 0.4);
  // the reopened page's own link carries the same model
  const again = await copyLink(b);
  assert.equal(new URL(again.link).hash.match(/modeldata=([A-Za-z0-9_-]+)/)[1], data);
  assert.deepEqual([...problems, ...errors], []);
  model.delete();
  await page.close();
  await context.close();
});

test('a model too large to inline is refused with the message; a hosted address makes it a by-reference link', async () => {
  const { page, problems } = await open('#arm=puma3');
  await page.setInputFiles('[data-testid=file]', { name: 'my-puma3.json', mimeType: 'application/json',
                                                   buffer: fs.readFileSync(path.join(repoDir, 'models', 'puma3', 'ik.json')) });
  await page.waitForFunction(() => /my-puma3\.json/.test(document.querySelector('[data-testid=model-name]').textContent));
  await ready(page);
  let made = await copyLink(page);
  assert.equal(made.refused, true);
  assert.equal(made.inline, false);
  assert.match(made.note, /The model inside the link would make it 1,0\d\d KB, over the 512 KB this page allows .*Put the file on the web .* paste its address below/);
  assert.doesNotMatch(made.link, /model(data)?=/);
  assert.ok(await page.isVisible('[data-testid=share-model-url]'));
  await page.fill('[data-testid=share-model-url]', 'https://github.com/someone/robots/blob/main/puma3/ik.json');
  made = await copyLink(page);
  assert.match(decodeURIComponent(made.link), /model=https:\/\/raw\.githubusercontent\.com\/someone\/robots\/main\/puma3\/ik\.json/);
  assert.match(made.note, /refers to https:\/\/raw\.githubusercontent\.com/);
  // the short-link switch: by reference even when the model would fit
  await page.click('[data-testid=arm-planar2]');
  await page.waitForFunction(() => window.neurokin.armName === 'planar2');
  await ready(page);
  await page.check('[data-testid=share-by-reference]');
  made = await copyLink(page);
  assert.equal(made.inline, false);
  assert.match(made.note, /refers to the site's shipped planar2 model/);
  assert.ok(made.link.length < 300);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a model URL that fails says which: not found, blocked by CORS, not a model, a model for another arm (and the page goes on)', async () => {
  const modelsDir = path.join(repoDir, 'models');
  const foreign = await serve(modelsDir);               // another origin, no CORS header
  const friendly = await serve(modelsDir, 0, { cors: true });  // another origin that allows reading
  try {
    await urlFailures(foreign, friendly, modelsDir);
  } finally {
    await foreign.close();
    await friendly.close();
  }
});

async function urlFailures(foreign, friendly, modelsDir) {
  const cases = [
    [`models/planar2/nothing.json`, /^model not found: http:\/\/127\.0\.0\.1:\d+\/models\/planar2\/nothing\.json \(HTTP 404\)/],
    [`${foreign.url}planar2/ik.json`, new RegExp(`^model blocked by CORS: ${foreign.url}planar2/ik\\.json: its server answered but does not let other sites read`)],
    ['index.html', /^not a model: http:\/\/127\.0\.0\.1:\d+\/index\.html is a web page \(HTML\)/],
    ['models/index.json', /^not a model: .*models\/index\.json is a JSON file with no "format" field/],
    [`${friendly.url}arms/planar2.json`, /^not a model: .*arms\/planar2\.json is an arm file/],
    [`${friendly.url}puma3/ik.json`, new RegExp(`^model for another arm: ${friendly.url}puma3/ik\\.json is a model for puma3, not planar2`)],
    [`${friendly.url}puma3/ik.onnx`, /^model for another arm: .*puma3\/ik\.onnx: this model maps 3 inputs to 3 outputs; planar2 needs 2/],
    ['models/<img src=x onerror="window.hacked=1">.json', /^model not found: .*%3Cimg%20src=x%20onerror=/],
  ];
  for (const [url, re] of cases) {
    const { page, problems } = await open(`#arm=planar2&model=${encodeURIComponent(url)}`, { allow: [/404|CORS|Failed to load|ERR_FAILED/] });
    const s = await readState(page);
    assert.match(s.error ?? '', re, url);
    assert.match(s.error, /Using the shipped model instead/);
    assert.equal(s.backend, 'wasm');  // the shipped model took over
    assert.ok(errorMm(arms.planar2, s.target, s.joints) <= expectedMaxMm('planar2') + 0.01);
    assert.equal(await page.evaluate(() => document.querySelectorAll('#error img').length + (window.hacked ?? 0)), 0);
    assert.deepEqual(problems, [], url);
    await page.close();
  }
  // strings from a file are text, never markup
  const evil = await browser.newPage();
  await evil.route('**/evil.json', (r) => r.fulfill({ body: '{"format": "<img src=x onerror=\\"window.hacked=1\\">"}', contentType: 'application/json' }));
  await evil.goto(`${server.url}#arm=planar2&model=evil.json`);
  await ready(evil);
  assert.match((await readState(evil)).error, /not a model: .*evil\.json is a JSON file with "format": "<img src=x onerror=/);
  assert.equal(await evil.evaluate(() => document.querySelectorAll('#error img').length + (window.hacked ?? 0)), 0);
  await evil.close();
  // the same files from a host that allows reading work, with progress shown while they arrive;
  // a link with no arm takes the model's
  const progress = [];
  const { page, problems } = await open(`#model=${encodeURIComponent(`${friendly.url}planar2/ik.json`)}`);
  const s = await readState(page);
  assert.equal(s.error, null);
  assert.equal(await page.evaluate(() => window.neurokin.armName), 'planar2');
  assert.match(await page.textContent('[data-testid=model-name]'), /Model: ik\.json/);
  const b = await browser.newPage();
  await b.addInitScript(() => {
    window.progressSeen = [];
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid=model-progress]');
      if (el && !el.hidden) window.progressSeen.push(el.textContent);
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await b.goto(`${server.url}#arm=puma3&model=${encodeURIComponent(`${friendly.url}puma3/ik.json`)}`);
  await ready(b);
  progress.push(...await b.evaluate(() => window.progressSeen));
  assert.ok(progress.some((t) => /loading the model from .*puma3\/ik\.json: \d+% of 2\.4 MB/.test(t)), `progress: ${progress.slice(0, 3)}`);
  // a GitHub page link is rewritten to the raw file (served here through a route)
  const g = await browser.newPage();
  await g.route('https://raw.githubusercontent.com/**', (r) => r.fulfill({
    body: fs.readFileSync(path.join(modelsDir, 'planar2', 'ik.json')), headers: { 'access-control-allow-origin': '*' } }));
  await g.goto(`${server.url}#arm=planar2&model=${encodeURIComponent('https://github.com/someone/robots/blob/main/planar2/ik.json')}`);
  await ready(g);
  const gs = await readState(g);
  assert.equal(gs.error, null);
  assert.match(await g.textContent('[data-testid=model-name]'), /raw\.githubusercontent\.com\/someone\/robots\/main\/planar2\/ik\.json/);
  assert.match(decodeURIComponent(gs.hash), /model=https:\/\/raw\.githubusercontent\.com/);
  assert.deepEqual(problems, []);
  for (const p of [page, b, g]) await p.close();
}

test('downloads: the model as JSON and ONNX, the view as PNG', async () => {
  const { page, problems } = await open('#arm=planar2');
  const get = async (id) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${id}]`)]);
    return { name: d.suggestedFilename(), bytes: fs.readFileSync(await d.path()) };
  };
  const json = await get('export-json');
  assert.equal(json.name, 'planar2-ik.json');
  assert.equal(json.bytes.toString(), fs.readFileSync(path.join(repoDir, 'models', 'planar2', 'ik.json'), 'utf8'));
  const onnx = await get('export-onnx');
  assert.equal(onnx.name, 'planar2-ik.onnx');
  assert.ok(onnx.bytes.equals(fs.readFileSync(path.join(repoDir, 'models', 'planar2', 'ik.onnx'))));
  const png = await get('export-png');
  assert.equal(png.name, 'neurokinematics-planar2.png');
  assert.equal(png.bytes.subarray(1, 4).toString(), 'PNG');
  const [w, h] = [png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)];
  const canvas = await page.evaluate(() => [window.neurokin.view.renderer.domElement.width, window.neurokin.view.renderer.domElement.height]);
  assert.deepEqual([w, h], canvas);
  // a model without an ONNX file (the fixture, through the file dialog): no ONNX download
  await page.setInputFiles('[data-testid=file]', { name: 'tiny.json', mimeType: 'application/json',
                                                   buffer: fs.readFileSync(path.join(repoDir, 'models', 'fixtures', 'tiny_planar2.json')) });
  await page.waitForFunction(() => document.querySelector('[data-testid=export-onnx]').disabled);
  assert.match(await page.getAttribute('[data-testid=export-onnx]', 'title'), /no ONNX file for this model/);
  assert.deepEqual(problems, []);
  await page.close();
});

// ---- classroom mode (docs/classroom.md) ---------------------------------------------------------------

test('classroom mode: the teacher\'s link hides what it should, in large type; the tour steps forward and back by keyboard', async () => {
  const { page, problems } = await open('#arm=puma3');
  await page.click('#classroom-builder summary');
  await page.uncheck('[data-testid=classroom-show-solutions]');
  const made = await copyLink(page, '[data-testid=share-classroom]');
  assert.match(made.link, /classroom=1&hide=solutions,inference,model,compare,share&tour=1/);
  const b = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await b.goto(made.link);
  await ready(b);
  const v = await readView(b);
  assert.equal(v.classroom, true);
  assert.deepEqual(v.hidden.sort(), ['compare', 'inference', 'model', 'share', 'solutions']);
  for (const shown of ['arm', 'mode', 'target', 'feasibility'])
    assert.ok(await b.isVisible(`#panel section[data-section=${shown}]`), `${shown} is hidden`);
  const size = await b.evaluate(() => parseFloat(getComputedStyle(document.querySelector('#panel')).fontSize));
  assert.ok(size >= 18, `panel type ${size}px`);
  // the tour opens at step 1 (FK), and the keyboard moves it
  const step = () => b.evaluate(() => {
    const t = document.querySelector('[data-testid=tour]');
    return t.hidden ? 0 : Number(t.dataset.step);
  });
  assert.equal(await step(), 1);
  assert.match(await b.textContent('[data-testid=tour-title]'), /Forward kinematics/);
  assert.equal(await b.evaluate(() => window.neurokin.mode), 'fk');
  assert.ok(await b.isDisabled('[data-testid=tour-prev]'));
  await b.keyboard.press('ArrowRight');
  assert.equal(await step(), 2);
  assert.match(await b.textContent('[data-testid=tour-title]'), /Inverse kinematics/);
  assert.equal(await b.evaluate(() => window.neurokin.mode), 'ik');
  await b.keyboard.press('ArrowRight');
  assert.equal(await step(), 3);
  await b.waitForFunction(() => Number(document.querySelector('[data-testid=solutions]').dataset.count) >= 2);
  await b.keyboard.press('PageDown');  // a presenter's clicker
  assert.equal(await step(), 4);
  assert.match(await b.textContent('[data-testid=tour-text]'), /[\d,]+ targets it never saw in training it is [\d.]+ mm off on average/);
  await b.keyboard.press('ArrowRight');
  assert.equal(await step(), 5);
  assert.match(await b.textContent('[data-testid=tour-title]'), /colours/);
  assert.ok(await b.isDisabled('[data-testid=tour-next]'));
  await b.keyboard.press('ArrowRight');  // past the end: stays
  assert.equal(await step(), 5);
  assert.match(await b.evaluate(() => location.hash), /tour=5/);
  await b.keyboard.press('ArrowLeft');
  assert.equal(await step(), 4);
  await b.click('[data-testid=tour-prev]');
  assert.equal(await step(), 3);
  await b.screenshot({ path: path.join(shotsDir, 'classroom-tour.png') });
  await b.keyboard.press('Escape');
  assert.equal(await step(), 0);
  assert.doesNotMatch(await b.evaluate(() => location.hash), /tour=/);
  // leaving classroom mode shows everything again
  await b.click('[data-testid=classroom-exit]');
  const w = await readView(b);
  assert.equal(w.classroom, false);
  assert.deepEqual(w.hidden, []);
  assert.doesNotMatch(await b.evaluate(() => location.hash), /classroom=|hide=/);
  assert.deepEqual(problems, []);
  await page.close();
  await b.close();
});

test('transport: pause stops path mode, step moves it by one step, speed is in the link', async () => {
  const { page, problems } = await open('#arm=planar2&mode=path&speed=2');
  assert.equal((await readView(page)).speed, 2);
  assert.ok(await page.evaluate(() => document.querySelector('[data-testid="transport-speed-2"]').classList.contains('on')));
  const s = () => page.evaluate(() => window.neurokin.path.s);
  await page.waitForFunction(() => window.neurokin.path.s > 0.05);
  await page.click('[data-testid=transport-play]');
  assert.equal(await page.getAttribute('[data-testid=transport]', 'data-playing'), '0');
  await page.waitForTimeout(100);
  const s0 = await s();
  await page.waitForTimeout(600);
  assert.equal(await s(), s0, 'the path moved while paused');
  await page.click('[data-testid=transport-step]');
  await page.waitForFunction((v) => window.neurokin.path.s > v, s0);
  const s1 = await s();
  // one step is 0.1 s of animation (whatever the speed): a 80th of the 8 s lap
  const lap = await page.evaluate(() => window.neurokin.path.lengths.at(-1));
  assert.ok(Math.abs((s1 - s0) - (lap * 0.1) / 8) < 1e-9, `a step moved ${s1 - s0}, expected ${(lap * 0.1) / 8}`);
  await page.waitForTimeout(400);
  assert.equal(await s(), s1);
  await page.click('[data-testid="transport-speed-0.5"]');
  assert.match(await page.evaluate(() => location.hash), /speed=0\.5/);
  await page.click('[data-testid=transport-play]');
  await page.waitForFunction((v) => window.neurokin.path.s > v, s1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('compare: a second model on the same target with its error; the link carries it', async () => {
  const arm = arms.planar2;
  const target = Array.from(arm.fk([0.6, 1.4]).task).map((v) => Number(v.toFixed(6)));
  const { page, problems } = await open(`#arm=planar2&target=${target.join(',')}`);
  const fixture = fs.readFileSync(path.join(repoDir, 'models', 'fixtures', 'tiny_planar2.json'), 'utf8');
  await page.setInputFiles('[data-testid=compare-file]', { name: 'tiny_planar2.json', mimeType: 'application/json', buffer: Buffer.from(fixture) });
  await page.waitForSelector('[data-testid=compare-table]:not([hidden])');
  const read = (p) => p.evaluate(() => {
    const b = document.querySelector('[data-testid=compare-error-b]');
    return { a: document.querySelector('[data-testid=compare-error-a]').textContent, b: b.textContent, mm: Number(b.dataset.mm),
             q: b.dataset.q.split(',').map(Number), armShown: window.neurokin.view.compareArm.group.visible };
  });
  const c = await read(page);
  const model = new NK.Model(fixture);
  const q = arm.wrapIntoLimits(model.predict(Float32Array.from(target), 1)).q;
  assert.ok(close(c.q, Array.from(q), 1e-6), `page ${c.q}, core ${Array.from(q)}`);
  assert.ok(Math.abs(c.mm - errorMm(arm, target, q)) < 1e-6);
  assert.ok(c.armShown);
  const s = await readState(page);
  assert.equal(c.a, `${await page.textContent('[data-testid=tool-error-mm]')} mm`);
  assert.ok(c.mm > s.errorMm, 'the untrained fixture should be worse than the shipped model');
  assert.match(s.hash, /comparedata=/);
  // moving the target moves both answers
  const t2 = Array.from(arm.fk([1.2, -0.5]).task);
  await page.evaluate((h) => { location.hash = h; }, s.hash.replace(/target=[^&]*/, `target=${t2.join(',')}`));
  await page.waitForFunction((x) => Math.abs(window.neurokin.target[0] - x) < 1e-9, t2[0]);
  await ready(page);
  const c2 = await read(page);
  const q2 = arm.wrapIntoLimits(model.predict(Float32Array.from(t2), 1)).q;
  assert.ok(close(c2.q, Array.from(q2), 1e-3), `after the move: page ${c2.q}, core ${Array.from(q2)}`);
  // a copied link brings both models
  const made = await copyLink(page);
  const b = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await b.goto(made.link);
  await ready(b);
  await b.waitForSelector('[data-testid=compare-table]:not([hidden])');
  const c3 = await read(b);
  assert.ok(close(c3.q, c2.q, 1e-3));
  await b.screenshot({ path: path.join(shotsDir, 'planar2-compare.png') });
  await page.click('[data-testid=compare-off]');
  assert.ok(await page.isHidden('[data-testid=compare-table]'));
  assert.doesNotMatch(await page.evaluate(() => location.hash), /compare/);
  assert.deepEqual(problems, []);
  model.delete();
  await page.close();
  await b.close();
});

// the report panel once drawn: each plot's svg size and mark counts, the figures table, the notes
async function openReport(page, which = null) {
  if (await page.isHidden('[data-testid=report]')) await page.click('[data-testid=report-open]');
  if (which) {
    await page.evaluate(() => { document.querySelector('[data-testid=report]').dataset.ready = '0'; });
    await page.click(`[data-testid=report-${which}]`);
  }
  await page.waitForSelector('[data-testid=report][data-ready="1"]', { timeout: 60000 });
  return page.evaluate(() => {
    const panel = document.querySelector('[data-testid=report]');
    const plots = {};
    for (const fig of panel.querySelectorAll('figure[data-testid]')) {
      // the plot is the largest svg (Plot puts a legend's swatches and colour ramp in svgs of their own)
      const area = (e) => e.getBoundingClientRect().width * e.getBoundingClientRect().height;
      const svg = [...fig.querySelectorAll('svg')].sort((a, b) => area(b) - area(a))[0];
      const box = svg?.getBoundingClientRect();
      plots[fig.dataset.testid] = {
        width: box?.width ?? 0, height: box?.height ?? 0,
        rects: svg ? svg.querySelectorAll('rect').length : 0, paths: svg ? svg.querySelectorAll('path').length : 0,
        legend: fig.querySelectorAll('svg').length > 1, caption: fig.querySelector('figcaption').textContent,
      };
    }
    const rows = Object.fromEntries([...panel.querySelectorAll('[data-testid=report-figures] tr[data-name]')]
      .map((r) => [r.dataset.name, [...r.cells].slice(1).map((c) => c.textContent)]));
    const notes = [...panel.querySelectorAll('[data-testid=report-note]')].map((p) => p.textContent);
    return { plots, rows, notes, title: document.querySelector('#report-title').textContent };
  });
}

test('model report: curves, histograms, heatmap and figures from the model\'s metadata; classifier; inline and ONNX models', async () => {
  const { page, problems } = await open('#arm=puma3');
  // the plotting library is not part of the first load; it comes when the panel opens
  const before = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  assert.ok(!before.some((u) => /report-plots/.test(u)), 'the report plots were loaded before the panel opened');
  const meta = JSON.parse(fs.readFileSync(path.join(repoDir, 'models', 'puma3', 'ik.json'), 'utf8')).metadata;
  assert.ok(meta.report, 'models/puma3/ik.json has no metadata.report: run neurokin report');
  const r = await openReport(page);
  assert.match(r.title, /puma3\/ik/);
  for (const id of ['report-curves', 'report-validation', 'report-histogram', 'report-heatmap']) {
    const p = r.plots[id];
    assert.ok(p && p.width > 200 && p.height > 100, `${id}: ${JSON.stringify(p)}`);
  }
  assert.ok(r.plots['report-curves'].paths >= 3, 'a line per loss term');
  // a bar per non-empty bin, a cell per non-empty grid cell, and the heatmap's colour legend
  const bins = meta.report.histograms[0].series[0].counts.filter((c) => c > 0).length;
  assert.ok(r.plots['report-histogram'].rects >= bins, `${r.plots['report-histogram'].rects} bars, ${bins} bins`);
  const cells = meta.report.heatmap.values.filter((v) => v !== null).length;
  assert.ok(r.plots['report-heatmap'].rects >= cells, `${r.plots['report-heatmap'].rects} cells, ${cells} in the metadata`);
  assert.ok(r.plots['report-heatmap'].legend, 'the heatmap has a colour scale');
  // the table: every number of metadata.metrics, test and validation
  const names = Object.keys(meta.metrics.test).filter((k) => typeof meta.metrics.test[k] === 'number');
  assert.deepEqual(Object.keys(r.rows).sort(), names.sort());
  for (const k of names) assert.deepEqual(r.rows[k], [formatFigure(meta.metrics.test[k]), formatFigure(meta.metrics.validation[k])], k);
  assert.equal(formatFigure(0.35109789033919253), '0.3511');
  await page.screenshot({ path: path.join(shotsDir, 'report-puma3.png') });
  // the arm's classifier: the confusion matrix, a histogram per class, the accuracy heatmap
  const c = await openReport(page, 'feasibility');
  assert.match(c.title, /puma3\/feasibility/);
  for (const id of ['report-curves', 'report-validation', 'report-confusion', 'report-histogram', 'report-heatmap'])
    assert.ok(c.plots[id]?.width > 200 && c.plots[id]?.height > 100, `classifier ${id}: ${JSON.stringify(c.plots[id])}`);
  const fmeta = JSON.parse(fs.readFileSync(path.join(repoDir, 'models', 'puma3', 'feasibility.json'), 'utf8')).metadata;
  assert.equal(c.rows.accuracy[0], formatFigure(fmeta.metrics.test.accuracy));
  await page.close();

  // an inline model keeps its metadata: the same report from the link alone
  const text = fs.readFileSync(path.join(repoDir, 'models', 'planar2', 'ik.json'), 'utf8');
  const inline = await open(`#arm=planar2&modeldata=${encodeModel(text).data}`);
  const i = await openReport(inline.page);
  assert.match(i.title, /from the link/);
  for (const id of ['report-curves', 'report-histogram', 'report-heatmap']) assert.ok(i.plots[id]?.width > 200, `inline ${id}`);
  await inline.page.close();
  // an ONNX file carries no metadata: the panel says so
  const o = await open('#arm=planar2&model=models%2Fplanar2%2Fik.onnx');
  const n = await openReport(o.page);
  assert.deepEqual(Object.keys(n.plots), []);
  assert.match(n.notes.join(' '), /No report in this model/);
  assert.deepEqual([...problems, ...inline.problems, ...o.problems], []);
  await o.page.close();
});
