// Browser tests of the simulator: headless Chromium (the system's, driven by playwright-core)
// on web/dist served by a plain static server (no COOP/COEP headers, as any host). Every
// number the page shows is checked against the wasm core run here in Node.
// Run: node --test web/test/browser.test.mjs   (make test; make web must have built web/dist)
// Screenshots go to build/web-test/ (NEUROKIN_SCREENSHOTS=DIR to choose).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { chromiumPath, launchChromium } from './chromium.mjs';
import { serve } from './server.mjs';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = path.resolve(webDir, '..');
const distDir = path.join(webDir, 'dist');
const shotsDir = process.env.NEUROKIN_SCREENSHOTS ?? path.join(repoDir, 'build', 'web-test');

// a missing prerequisite is a failure with the fix in the message, never a skip
assert.ok(fs.existsSync(path.join(distDir, 'index.html')), `${distDir}/index.html is missing: run 'make web'`);
assert.ok(fs.existsSync(chromiumPath), `${chromiumPath} is missing: run scripts/bootstrap.sh (Debian package chromium)`);

// the same wasm core the page runs, for the reference numbers
const wasmDir = path.join(distDir, 'wasm');
const NK = await createRequire(import.meta.url)(path.join(wasmDir, 'neurokin.js'))({
  wasmBinary: fs.readFileSync(path.join(wasmDir, 'neurokin.wasm')),
});
const arms = Object.fromEntries(['planar2', 'puma3', 'omx4', 'kr6'].map((name) =>
  [name, new NK.Arm(fs.readFileSync(path.join(repoDir, 'models', 'arms', `${name}.json`), 'utf8'))]));
const index = JSON.parse(fs.readFileSync(path.join(distDir, 'models', 'index.json'), 'utf8'));

let server, browser;
before(async () => {
  server = await serve(distDir);
  browser = await launchChromium();
  fs.mkdirSync(shotsDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// a fresh page at hash; console errors and page errors are collected
async function open(hash = '', { allow = [] } = {}) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !allow.some((re) => re.test(m.text()))) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(server.url + hash);
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
    assert.match(await page.textContent('[data-testid=slice-status]'), /64 × 64 in \d+ ms .*% reachable/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotsDir, `${name}-slice.png`) });
    assert.deepEqual(problems, []);
    await page.close();
  }
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

test('all solutions (branch heads): each head\'s answer, its probability and its FK error, as the core computes them', async () => {
  const text = fs.readFileSync(headsFixture, 'utf8');
  const model = new NK.Model(text);
  const arm = arms.omx4;
  const target = Array.from(arm.fk([0.5, -0.4, 0.3, 0.6]).task);
  const { page, problems } = await open(`#arm=omx4&target=${target.join(',')}&all=1`);
  await page.setInputFiles('[data-testid=file]', { name: 'omx4_heads.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  await page.waitForFunction(() => document.querySelector('[data-testid=solutions]').dataset.source === 'heads');
  await ready(page);
  const sol = await readSolutions(page);
  const s = await readState(page);
  assert.equal(s.error, null);
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
