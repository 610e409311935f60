// Frame times of the web page while the arm moves (issue 4: "60 frames per second while
// animating"), in headless Chromium (the system's, WebGL through SwiftShader: software
// rendering) on web/dist. Each scenario records every requestAnimationFrame of the page for a few
// seconds: the interval between frames while the arm moves, and inside each frame the time in
// our own code (path mode, the animation step) and in three.js' render call; Chrome's own
// counters (CDP Performance.getMetrics) give all script and task time per frame.
//   node bench/page_frames.mjs [--markdown docs/benchmarks.md] [--seconds 5]
// (make bench runs it; make web must have built web/dist)
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchChromium } from '../web/test/chromium.mjs';
import { serve } from '../web/test/server.mjs';
import { writeSection } from './markdown.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = { markdown: null, seconds: 5 };
for (let i = 0; i < args.length; i += 2) {
  const [flag, value] = [args[i], args[i + 1]];
  if (flag === '--markdown') opt.markdown = value;
  else if (flag === '--seconds') opt.seconds = Number(value);
  else {
    console.error(`page_frames: unknown option '${flag}' (expected --markdown FILE, --seconds S)`);
    process.exit(2);
  }
}
if (!(opt.seconds > 0)) {
  console.error(`page_frames: --seconds: expected a positive number, got '${args[args.indexOf('--seconds') + 1]}'`);
  process.exit(2);
}

// target changes: every 0.7 s the target jumps 12 cm and back, as one gizmo drag step does
// (the page predicts, then animates the arm there for 0.2 to 0.9 s)
async function targetChanges(page, seconds) {
  const t0 = Date.now();
  for (let k = 0; Date.now() - t0 < seconds * 1000; ++k) {
    await page.evaluate((dy) => {
      const v = window.neurokin.view;
      v.target.position.y += dy;
      v.gizmo.dispatchEvent({ type: 'objectChange' });
    }, k % 2 ? -0.12 : 0.12);
    await page.waitForTimeout(700);
  }
}

// path mode: the target runs round a circle, one prediction per frame
async function pathMode(page, seconds) {
  await page.click('[data-testid=mode-path]');
  await page.waitForTimeout(seconds * 1000);
}

const SCENARIOS = [
  { name: 'target changes', hash: '#arm=kr6', run: targetChanges, small: true },
  { name: 'target changes, all 8 solutions drawn', hash: '#arm=kr6&target=0.55,0.2,0.6,0,0.7071068,0,0.7071068&all=1', run: targetChanges },
  { name: 'path mode (circle)', hash: '#arm=puma3', run: pathMode },
  { name: 'path mode (circle)', hash: '#arm=kr6', run: pathMode, small: true },
];
const VIEWPORTS = [[1400, 860], [700, 430]];

function quantile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}
const median = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);

const server = await serve(path.join(repo, 'web', 'dist'));
const browser = await launchChromium();
const rows = [];
for (const [width, height] of VIEWPORTS) {
  for (const sc of SCENARIOS) {
    // the small viewport for one scenario of each kind: enough to see what the pixel count costs
    if (width !== VIEWPORTS[0][0] && !sc.small) continue;
    const page = await browser.newPage({ viewport: { width, height } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(server.url + sc.hash);
    await page.waitForSelector('[data-testid=joints][data-ready="1"]', { timeout: 30000 });
    await page.waitForTimeout(1500);  // first renders, shader compilation, the first timing
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    await page.evaluate(() => { window.neurokin.frameLog = []; });
    const before = await metrics();
    await sc.run(page, opt.seconds);
    const after = await metrics();
    const log = await page.evaluate(() => {
      const l = window.neurokin.frameLog;
      window.neurokin.frameLog = null;
      return l;
    });
    if (errors.length) throw new Error(`page_frames: ${sc.name}: ${errors.join('; ')}`);
    // intervals between consecutive frames while the arm moves
    const frames = [];
    for (let i = 0; i < log.length; i += 4) frames.push({ t: log[i], js: log[i + 1], render: log[i + 2], moving: log[i + 3] });
    const intervals = [];
    for (let i = 1; i < frames.length; ++i) if (frames[i].moving && frames[i - 1].moving) intervals.push(frames[i].t - frames[i - 1].t);
    const moving = frames.filter((f) => f.moving);
    const sorted = [...intervals].sort((a, b) => a - b);
    const n = frames.length;
    const row = {
      scenario: `${sc.hash.match(/arm=(\w+)/)[1]}: ${sc.name}`, viewport: `${width} x ${height}`,
      frames: intervals.length, median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95),
      over20: intervals.filter((x) => x > 20).length / Math.max(1, intervals.length),
      ours: median(moving.map((f) => f.js)), render: median(moving.map((f) => f.render)),
      // Chrome's counters are seconds over the whole run: per frame of the run, in ms
      script: ((after.ScriptDuration - before.ScriptDuration) * 1000) / n,
      task: ((after.TaskDuration - before.TaskDuration) * 1000) / n,
      layout: ((after.LayoutDuration + after.RecalcStyleDuration - before.LayoutDuration - before.RecalcStyleDuration) * 1000) / n,
    };
    rows.push(row);
    console.log(`${row.scenario} (${row.viewport}): ${row.frames} intervals, median ${row.median.toFixed(1)} ms ` +
                `(${(1000 / row.median).toFixed(0)} fps), p95 ${row.p95.toFixed(1)} ms, >20 ms ${(row.over20 * 100).toFixed(0)}%; ` +
                `per frame: our code ${row.ours.toFixed(2)} ms, three.js render ${row.render.toFixed(2)} ms, ` +
                `all script ${row.script.toFixed(2)} ms, style + layout ${row.layout.toFixed(2)} ms, ` +
                `main-thread tasks ${row.task.toFixed(2)} ms`);
    await page.close();
  }
}
await browser.close();
await server.close();

if (opt.markdown) {
  const file = path.resolve(repo, opt.markdown);
  const f = (x, d = 1) => x.toFixed(d);
  writeSection(file, 'page_frames', [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus()[0]?.model ?? 'unknown CPU'} ` +
      `(${os.cpus().length} cores), load average ${os.loadavg()[0].toFixed(1)}, headless Chromium with SwiftShader ` +
      `(software WebGL), ${opt.seconds} s per scenario:`,
    '',
    '| scenario | viewport | intervals | median frame | fps (median) | p95 frame | frames > 20 ms | our code / frame | three.js render / frame | all script / frame | style + layout / frame | main-thread tasks / frame |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.scenario} | ${r.viewport} | ${r.frames} | ${f(r.median)} ms | ${f(1000 / r.median, 0)} | ` +
      `${f(r.p95)} ms | ${f(r.over20 * 100, 0)}% | ${f(r.ours, 2)} ms | ${f(r.render, 2)} ms | ${f(r.script, 2)} ms | ` +
      `${f(r.layout, 2)} ms | ${f(r.task, 2)} ms |`),
  ]);
  console.log(`page_frames: wrote ${path.relative(repo, file)}`);
}
