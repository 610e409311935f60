// The wasm core against the native one: the same seeded joint configurations through
// `neurokin fk` (native CLI) and Arm.fk (wasm) must give the same poses to 1e-12 (quaternions
// up to sign), and the same task vectors with --task.
// Run: NEUROKIN_NATIVE_CLI=build/native/bin/neurokin node wasm/test/native.test.mjs
// (ctest: wasm_vs_native, registered when -DNEUROKIN_NATIVE_CLI=<path> names a built CLI).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { armFiles, loadNeuroKin, quaternionDistance, rows } from './module.mjs';

const cli = process.env.NEUROKIN_NATIVE_CLI;
if (!cli || !fs.existsSync(cli)) {
  console.error(`NEUROKIN_NATIVE_CLI must name the native neurokin CLI (got ${cli})`);
  process.exit(1);
}
// ctest keeps the CSV files in the build tree; otherwise a temporary folder, removed at exit
const tmp = process.env.NEUROKIN_TMP_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'neurokin-wasm-'));
fs.mkdirSync(tmp, { recursive: true });
if (!process.env.NEUROKIN_TMP_DIR) process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const M = await loadNeuroKin();
const kSamples = 500;
const kSeed = 20240611;
const kFkTol = 1e-12;

// our CSV: a header row, then 17 significant digits per number (an exact round trip)
function writeCsv(file, header, values) {
  const lines = [header.join(',')];
  for (const r of rows(values, header.length)) lines.push(r.map((v) => v.toPrecision(17)).join(','));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

function readCsv(file) {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  return { header: header.split(',').map((s) => s.trim()), rows: lines.map((l) => l.split(',').map(Number)) };
}

function runCli(args) {
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cli} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

for (const { name, file, text } of armFiles()) {
  test(`${name}: wasm fk = native fk`, () => {
    const arm = new M.Arm(text);
    // joints sampled by the core's seeded generator, plus the zero configuration
    const q = Float64Array.from([...new Array(arm.dof).fill(0), ...arm.sample(kSamples, kSeed)]);
    const qFile = path.join(tmp, `${name}_q.csv`);
    writeCsv(qFile, arm.jointNames, q);

    // poses: x,y,z,qx,qy,qz,qw
    const poseFile = path.join(tmp, `${name}_poses.csv`);
    runCli(['fk', '--arm', file, '--in', qFile, '--out', poseFile]);
    const poses = readCsv(poseFile);
    assert.deepEqual(poses.header, ['x', 'y', 'z', 'qx', 'qy', 'qz', 'qw']);
    assert.equal(poses.rows.length, kSamples + 1);
    let worst = 0;
    rows(q, arm.dof).forEach((qi, i) => {
      const r = arm.fk(qi);
      const native = poses.rows[i];
      for (let k = 0; k < 3; ++k) worst = Math.max(worst, Math.abs(r.position[k] - native[k]));
      worst = Math.max(worst, quaternionDistance(r.quaternion, native.slice(3)));
    });
    assert.ok(worst <= kFkTol, `${name}: largest wasm - native pose difference ${worst}`);

    // task vectors (the input of `neurokin ik`)
    const taskFile = path.join(tmp, `${name}_task.csv`);
    runCli(['fk', '--arm', file, '--task', '--in', qFile, '--out', taskFile]);
    const tasks = readCsv(taskFile);
    assert.equal(tasks.header.length, arm.taskSize);
    let worstTask = 0;
    rows(q, arm.dof).forEach((qi, i) => {
      const t = arm.fk(qi).task, native = tasks.rows[i];
      if (arm.task === 'pose') {
        for (let k = 0; k < 3; ++k) worstTask = Math.max(worstTask, Math.abs(t[k] - native[k]));
        worstTask = Math.max(worstTask, quaternionDistance(t.subarray(3), native.slice(3)));
      } else {
        for (let k = 0; k < t.length; ++k) worstTask = Math.max(worstTask, Math.abs(t[k] - native[k]));
      }
    });
    assert.ok(worstTask <= kFkTol, `${name}: largest wasm - native task difference ${worstTask}`);
    console.log(`# ${name}: ${kSamples + 1} configurations, max |wasm - native| pose ${worst}, task ${worstTask}`);
    arm.delete();
  });
}

// every shipped model and the test fixtures on the same reachable targets: the network's
// outputs before decoding (sin/cos pairs, angles, logits), `neurokin predict --raw` (native)
// against Model.forward (wasm), and the decoded answers, `neurokin predict` against
// Model.predict. Both builds run the same kernels in the same order (shared/src/nn.cpp), so
// the outputs agree to the bit; decoding goes through each C library's atan2 / exp, within an
// ulp or two. Both must agree to kNetTol (rad for angles).
const kNetTol = 1e-6;
const modelsDir = path.resolve(path.dirname(armFiles()[0].file), '..');
const fixtures = path.join(modelsDir, 'fixtures');
const modelFiles = [
  ...fs.readdirSync(fixtures).filter((f) => f.endsWith('.json') && !f.endsWith('.config.json')).map((f) => path.join(fixtures, f)),
  ...fs.readdirSync(modelsDir).flatMap((d) => ['ik.json', 'feasibility.json'].map((f) => path.join(modelsDir, d, f)))
    .filter((f) => fs.existsSync(f))];

// the largest difference between rows of numbers, around the circle when `wrap`
function largestDifference(rows, flat, wrap) {
  let worst = 0;
  rows.forEach((r, i) => r.forEach((v, k) => {
    const d = Math.abs(flat[i * r.length + k] - v);
    worst = Math.max(worst, wrap ? Math.min(d % (2 * Math.PI), 2 * Math.PI - (d % (2 * Math.PI))) : d);
  }));
  return worst;
}

for (const file of modelFiles) {
  const label = path.relative(modelsDir, file);
  test(`${label}: wasm = native, outputs and answers`, () => {
    const model = new M.Model(fs.readFileSync(file, 'utf8'));
    const arm = model.arm();
    const targets = Float32Array.from(arm.taskVectors(arm.sample(kSamples, kSeed), kSamples));
    const stem = path.join(tmp, label.replace(/\W/g, '_'));
    // the network sees float32 inputs: give the CLI exactly those values
    writeCsv(`${stem}_targets.csv`, Array.from({ length: arm.taskSize }, (_, i) => `t${i}`), Float64Array.from(targets));
    runCli(['predict', '--model', file, '--in', `${stem}_targets.csv`, '--out', `${stem}_raw.csv`, '--raw']);
    runCli(['predict', '--model', file, '--in', `${stem}_targets.csv`, '--out', `${stem}_answers.csv`]);
    const raw = readCsv(`${stem}_raw.csv`).rows;
    assert.equal(raw.length, kSamples);
    assert.equal(raw[0].length, model.netOutputs);
    const outputs = largestDifference(raw, model.forward(targets, kSamples), false);
    assert.ok(outputs <= kNetTol, `${label}: largest wasm - native output difference ${outputs}`);

    // ik: the joints (then the CLI's error columns); feasibility: class, name, then probabilities
    const ik = model.kind === 'ik';
    const answers = readCsv(`${stem}_answers.csv`).rows.map((r) => (ik ? r.slice(0, arm.dof) : r.slice(2)));
    const decoded = largestDifference(answers, model.predict(targets, kSamples), ik);
    assert.ok(decoded <= kNetTol, `${label}: largest wasm - native ${ik ? 'joint' : 'probability'} difference ${decoded}`);
    console.log(`# ${label}: ${kSamples} targets, max |wasm - native| outputs ${outputs.toExponential(2)}, ` +
                `${ik ? 'joints' : 'probabilities'} ${decoded.toExponential(2)}`);
    arm.delete();
    model.delete();
  });
}
