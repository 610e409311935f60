// The JS API of the wasm module (docs/js-api.md): golden forward kinematics from hand
// calculations and the URDF numbers, IK round trips, closed-form branches, model inference,
// and every error path (a JS Error with the core's message; nothing leaks when one is thrown).
// Run: node wasm/test/api.test.mjs (ctest: wasm_api); exits non-zero on failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { armFiles, loadNeuroKin, quaternionDistance, rows } from './module.mjs';

const M = await loadNeuroKin();
const arms = Object.fromEntries(armFiles().map((a) => [a.name, new M.Arm(a.text)]));

// fk's position / quaternion against expected values, to tol
function assertPose(arm, q, position, quaternion, tol = 1e-12) {
  const r = arm.fk(q);
  for (let i = 0; i < 3; ++i)
    assert.ok(Math.abs(r.position[i] - position[i]) <= tol,
              `${arm.name} fk(${q}) position ${r.position} != ${position}`);
  if (quaternion)
    assert.ok(quaternionDistance(r.quaternion, quaternion) <= tol,
              `${arm.name} fk(${q}) quaternion ${r.quaternion} != ${quaternion}`);
  return r;
}

// fn throws a JS Error whose message matches re
function assertThrowsError(fn, re) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, `not an Error: ${e}`);
    assert.match(e.message, re);
    return true;
  });
}

test('every arm file loads, with consistent properties', () => {
  const expected = { planar2: [2, 'planar_xy', 2], puma3: [3, 'position', 3],
                     omx4: [4, 'position_pitch', 4], kr6: [6, 'pose', 7] };
  for (const [name, arm] of Object.entries(arms)) {
    assert.equal(arm.name, name);
    if (expected[name]) assert.deepEqual([arm.dof, arm.task, arm.taskSize], expected[name]);
    assert.equal(arm.jointNames.length, arm.dof);
    const lo = arm.lower(), hi = arm.upper();
    assert.ok(lo instanceof Float64Array && hi instanceof Float64Array);
    assert.equal(lo.length, arm.dof);
    for (let i = 0; i < arm.dof; ++i) assert.ok(lo[i] <= hi[i]);
    // json() round trip: the same arm again
    const again = new M.Arm(arm.json());
    const q = arm.sample(1, 3);
    assert.deepEqual(again.fk(q).task, arm.fk(q).task);
    again.delete();
  }
  assert.deepEqual(Object.keys(expected).filter((n) => !arms[n]), [], 'an arm file is missing');
});

test('golden fk: kr6 (URDF numbers)', () => {
  const kr6 = arms.kr6;
  // q = 0: tool0 at (0.025 + 0.455 + 0.420 + 0.080, 0, 0.400 + 0.035), rotated +90 deg about y
  const s = Math.SQRT1_2;
  const r = assertPose(kr6, new Float64Array(6), [0.980, 0, 0.435], [0, s, 0, s]);
  assert.ok(r.task instanceof Float64Array && r.task.length === 7);
  // a1 turns about -z: +90 deg swings the arm to -y
  assertPose(kr6, [Math.PI / 2, 0, 0, 0, 0, 0], [0, -0.980, 0.435]);
  // a2 = -90 deg about +y turns the arm's x axis up and its z axis to -x: the a4 offset
  // (0.035 along z) now points back
  assertPose(kr6, [0, -Math.PI / 2, 0, 0, 0, 0], [0.025 - 0.035, 0, 0.4 + 0.455 + 0.420 + 0.080]);
});

test('golden fk: planar2, puma3, omx4 (hand calculations)', () => {
  assertPose(arms.planar2, [0, 0], [2, 0, 0]);
  assertPose(arms.planar2, [Math.PI / 2, -Math.PI / 2], [1, 1, 0]);
  assert.deepEqual(Array.from(arms.planar2.fk([0, 0]).task), [2, 0]);
  // puma3 at q = 0: frame 3 at (a2 + a3, -d3, d1), its z axis along world z (alpha1 = +90,
  // alpha3 = -90), so the wrist centre is 0.4318 above it
  assertPose(arms.puma3, [0, 0, 0], [0.4318 + 0.0203, -0.15005, 0.6718 + 0.4318]);
  // omx4: q = 0 stretches along x; pitch = q2 + q3 + q4
  assertPose(arms.omx4, [0, 0, 0, 0], [0.012 + 0.024 + 0.124 + 0.126, 0, 0.017 + 0.0595 + 0.128]);
  const r = assertPose(arms.omx4, [0, 0, 0, Math.PI / 2], [0.16, 0, 0.2045 - 0.126]);
  assert.ok(Math.abs(r.task[3] - Math.PI / 2) < 1e-12, `omx4 pitch ${r.task[3]}`);
});

test('frames: n + 2 column-major 4x4 matrices ending at the tool', () => {
  for (const arm of Object.values(arms)) {
    const q = arm.sample(1, 11);
    const f = arm.frames(q);
    assert.ok(f instanceof Float64Array);
    assert.equal(f.length, 16 * (arm.dof + 2));
    for (let k = 0; k < arm.dof + 2; ++k) {
      const m = f.subarray(16 * k, 16 * k + 16);
      assert.deepEqual([m[3], m[7], m[11], m[15]], [0, 0, 0, 1], `${arm.name} frame ${k}`);
      // rotation columns are orthonormal
      for (let i = 0; i < 3; ++i)
        for (let j = 0; j < 3; ++j) {
          let d = 0;
          for (let r = 0; r < 3; ++r) d += m[4 * i + r] * m[4 * j + r];
          assert.ok(Math.abs(d - (i === j ? 1 : 0)) < 1e-12);
        }
    }
    const fk = arm.fk(q);
    const last = f.subarray(16 * (arm.dof + 1));
    for (let i = 0; i < 16; ++i) assert.ok(Math.abs(last[i] - fk.matrix[i]) < 1e-15);
    assert.deepEqual(Array.from(last.subarray(12, 15)), fk.position);
  }
});

test('ik round trips: fk(ik(fk(q))) = fk(q) for sampled q', () => {
  for (const arm of Object.values(arms)) {
    const qs = rows(arm.sample(25, 7), arm.dof);
    const lo = arm.lower(), hi = arm.upper();
    for (const q of qs) {
      const target = arm.fk(q).task;
      const r = arm.ik(target, { timeMs: 0, maxRestarts: 50, seed: 1 });
      assert.equal(r.status, 'converged', `${arm.name} ik from fk(${q}): ${JSON.stringify(r)}`);
      assert.ok(r.positionError <= 1e-5 && r.orientationError <= 1e-4);
      assert.ok(r.q instanceof Float64Array && r.q.length === arm.dof);
      for (let i = 0; i < arm.dof; ++i) assert.ok(r.q[i] >= lo[i] && r.q[i] <= hi[i]);
      const back = arm.fk(r.q);
      const p = target.subarray(0, arm.task === 'planar_xy' ? 2 : 3);
      for (let i = 0; i < p.length; ++i) assert.ok(Math.abs(back.task[i] - p[i]) <= 1e-5);
      if (arm.task === 'pose')
        assert.ok(quaternionDistance(back.task.subarray(3), target.subarray(3)) <= 1e-4);
      if (arm.task === 'position_pitch') assert.ok(Math.abs(back.task[3] - target[3]) <= 1e-4);
    }
  }
});

test('ik options: q0 at the answer converges at once; same seed, same answer', () => {
  const kr6 = arms.kr6;
  const q = [0.3, -0.8, 0.5, 0.2, 0.6, -0.4];
  const target = kr6.fk(q).task;
  const r0 = kr6.ik(target, { q0: q });
  assert.equal(r0.status, 'converged');
  assert.equal(r0.iterations, 0);
  const opt = { timeMs: 0, maxRestarts: 10, seed: 42, tolPos: 1e-8, tolRot: 1e-7, maxIterations: 300 };
  const a = kr6.ik(target, opt), b = kr6.ik(target, opt);
  assert.deepEqual(a, b);
  assert.ok(a.positionError <= 1e-8);
});

test('unreachable targets are a status, not an error', () => {
  const r = arms.kr6.ik([5, 0, 0, 0, 0, 0, 1], { timeMs: 0 });
  assert.equal(r.status, 'unreachable');
  assert.ok(r.positionError > 3);
  assert.equal(arms.planar2.ik([3, 0]).status, 'unreachable');
  assert.deepEqual(arms.planar2.ikAnalytic([3, 0]), []);
  assert.deepEqual(arms.puma3.ikAnalytic([3, 0, 0]), []);
});

test('ikAnalytic: every branch reaches the target, one is the original q', () => {
  for (const name of ['planar2', 'puma3']) {
    const arm = arms[name];
    assert.equal(arm.hasAnalyticIk, true);
    for (const q of rows(arm.sample(50, 5), arm.dof)) {
      const target = arm.fk(q).task;
      const sols = arm.ikAnalytic(target);
      assert.ok(sols.length >= 1 && sols.length <= (name === 'planar2' ? 2 : 4));
      let found = false;
      for (const s of sols) {
        assert.equal(typeof s.branch, 'string');
        assert.ok(s.branch.length > 0);
        const t = arm.fk(s.q).task;
        for (let i = 0; i < target.length; ++i) assert.ok(Math.abs(t[i] - target[i]) < 1e-9);
        found ||= s.q.every((v, i) => Math.abs(v - q[i]) < 1e-7);
      }
      assert.ok(found, `${name}: q = ${q} is not among ${JSON.stringify(sols)}`);
    }
  }
  assert.equal(arms.kr6.hasAnalyticIk, true);  // spherical wrist (Pieper)
});

test('conditioning: planar 2R manipulability = L1 L2 |sin q2| (Yoshikawa)', () => {
  for (const q2 of [0.3, 1.0, Math.PI / 2, 2.5]) {
    const c = arms.planar2.conditioning([0.7, q2]);
    assert.ok(Math.abs(c.manipulability - Math.abs(Math.sin(q2))) < 1e-12);
    assert.ok(c.inverseCondition > 0 && c.inverseCondition <= 1);
  }
  const straight = arms.planar2.conditioning([0.2, 0]);
  assert.ok(straight.manipulability < 1e-12 && straight.inverseCondition < 1e-12);
});

test('classifyPose and calibrate', () => {
  const puma = arms.puma3;
  const names = ['unreachable', 'near_singular', 'adequate', 'high_manipulability'];
  const r = puma.classifyPose(puma.fk([0.2, 0.5, -0.9]).task);
  assert.ok(names.includes(r.class));
  assert.equal(names[r.classIndex], r.class);
  assert.ok(r.solutions >= 1 && r.q instanceof Float64Array);
  const far = puma.classifyPose([4, 0, 0]);
  assert.equal(far.class, 'unreachable');
  assert.equal(far.q, null);
  // calibrate sets the thresholds on this object only
  const arm = new M.Arm(arms.planar2.json());
  const t = arm.calibrate(2000, 3);
  assert.deepEqual(arm.thresholds, t);
  assert.ok(t.p20 <= t.p80 && t.samples === 2000 && t.seed === 3);
  assert.deepEqual(arm.calibrate(2000, 3), t);  // seeded: reproducible
  arm.delete();
});

test('sample: seeded, within limits', () => {
  for (const arm of Object.values(arms)) {
    const a = arm.sample(100, 9), b = arm.sample(100, 9), c = arm.sample(100, 10);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    const lo = arm.lower(), hi = arm.upper();
    a.forEach((v, k) => assert.ok(v >= lo[k % arm.dof] && v <= hi[k % arm.dof]));
  }
  assert.equal(arms.kr6.sample(0, 1).length, 0);
});

test('Arm from a parsed object; Array and typed-array arguments agree', () => {
  const text = armFiles().find((a) => a.name === 'kr6').text;
  const arm = new M.Arm(JSON.parse(text));
  const q = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
  assert.deepEqual(arm.fk(q), arms.kr6.fk(new Float64Array(q)));
  assert.deepEqual(arm.fk(new Float32Array(q)).position, arms.kr6.fk(Float64Array.from(new Float32Array(q))).position);
  arm.delete();
});

// float32 values as the model file's base64
const f32 = (a) => Buffer.from(new Float32Array(a).buffer).toString('base64');

// a tiny hand-made model: planar2, dense 2 -> 2, relu, de-normalised outputs
function tinyModel(overrides = {}) {
  return {
    format: 'neurokin-model', version: 1, kind: 'ik',
    arm: JSON.parse(armFiles().find((a) => a.name === 'planar2').text), task: 'planar_xy',
    input: { size: 2, encoding: 'raw', mean: [0, 0], std: [1, 1] },
    output: { size: 2, decoding: 'angles', mean: [0.5, 0], std: [0.1, 0.1] },
    layers: [{ type: 'dense', in: 2, out: 2, weight: f32([1, 2, 3, 4]), bias: f32([0.5, -0.5]) },
             { type: 'activation', function: 'relu' }],
    metadata: { note: 'test' },
    ...overrides,
  };
}

test('Model: load, predict (by hand), arm, metadata', () => {
  const model = new M.Model(JSON.stringify(tinyModel()));
  assert.equal(model.kind, 'ik');
  assert.equal(model.inputSize, 2);
  assert.equal(model.outputSize, 2);
  assert.equal(model.parameterCount, 6);
  assert.deepEqual(model.metadata(), { note: 'test' });
  // [1, 1] -> relu(3.5, 6.5) * 0.1 + (0.5, 0); [-1, -1] -> relu(-2.5, -7.5) -> (0.5, 0)
  const y = model.predict(new Float32Array([1, 1, -1, -1]), 2);
  assert.ok(y instanceof Float32Array && y.length === 4);
  const want = [0.85, 0.65, 0.5, 0];
  y.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `predict ${y} != ${want}`));
  // more rows than one workspace chunk: each row as if alone
  const n = 150;
  const x = new Float32Array(2 * n).map((_, i) => Math.sin(i));
  const all = model.predict(x, n);
  for (const i of [0, 63, 64, 149]) {
    const one = model.predict(x.subarray(2 * i, 2 * i + 2), 1);
    assert.deepEqual(Array.from(all.subarray(2 * i, 2 * i + 2)), Array.from(one));
  }
  assert.equal(model.predict(new Float32Array(0), 0).length, 0);
  const arm = model.arm();
  assert.equal(arm.name, 'planar2');
  assert.deepEqual(arm.fk([0, 0]).position, [2, 0, 0]);
  arm.delete();
  const again = new M.Model(model.json());
  assert.deepEqual(again.predict(x, n), all);
  again.delete();
  model.delete();
});

test('files as bytes: ArrayBuffer and Uint8Array give the same arm and model as text', () => {
  const text = armFiles().find((a) => a.name === 'omx4').text;
  const bytes = new TextEncoder().encode(text);
  const q = [0.1, -0.2, 0.3, 0.4];
  for (const source of [bytes, bytes.buffer]) {
    const arm = new M.Arm(source);
    assert.deepEqual(arm.fk(q), arms.omx4.fk(q));
    arm.delete();
  }
  const json = JSON.stringify(tinyModel());
  const a = new M.Model(json), b = new M.Model(new TextEncoder().encode(json).buffer);
  const x = new Float32Array([0.3, -0.7]);
  assert.deepEqual(a.predict(x, 1), b.predict(x, 1));
  a.delete();
  b.delete();
  // bytes that are not JSON (an ONNX file, say) are named as such
  assertThrowsError(() => new M.Model(new Uint8Array([8, 7, 18, 0, 255])), /^new Model: model: not valid JSON/);
});

test('Model.predictBranches: every head of a branch-heads network, predict the likeliest', () => {
  // head 0 answers (x, y), head 1 (2x, 2y); the logits are (x, y): head 0 when x > y
  const model = new M.Model(JSON.stringify(tinyModel({
    output: { size: 6, decoding: 'angles', branches: ['elbow_up', 'elbow_down'],
              mean: [0, 0, 0, 0, 0, 0], std: [1, 1, 1, 1, 1, 1] },
    layers: [{ type: 'dense', in: 2, out: 6, weight: f32([1, 0, 0, 1, 2, 0, 0, 2, 1, 0, 0, 1]),
               bias: f32([0, 0, 0, 0, 0, 0]) }],
  })));
  assert.deepEqual(model.branches, ['elbow_up', 'elbow_down']);
  assert.equal(model.outputSize, 2);
  const x = new Float32Array([0.5, 0.25, 0.25, 0.5]);
  assert.deepEqual(Array.from(model.predict(x, 2)), [0.5, 0.25, 0.5, 1]);
  const { outputs, probabilities } = model.predictBranches(x, 2);
  assert.deepEqual(Array.from(outputs), [0.5, 0.25, 1, 0.5, 0.25, 0.5, 0.5, 1]);
  assert.ok(Math.abs(probabilities[0] - 1 / (1 + Math.exp(-0.25))) < 1e-6);
  assert.ok(Math.abs(probabilities[2] + probabilities[3] - 1) < 1e-6 && probabilities[3] > 0.5);
  assert.throws(() => model.predictBranches(x, 3), /Model.predictBranches inputs: expected 3 x 2 = 6 values, got 4/);
  model.delete();
  const plain = new M.Model(JSON.stringify(tinyModel()));
  assert.deepEqual(plain.branches, []);
  assert.deepEqual(Array.from(plain.predictBranches(new Float32Array([1, 1]), 1).probabilities), [1]);
  plain.delete();
});

test('Model.step: a trajectory model follows a circle on the branch it starts on; predict agrees', async () => {
  const fs = await import('node:fs');
  const file = new URL('../../models/planar2/ik-trajectory.json', import.meta.url);
  const model = new M.Model(fs.readFileSync(file, 'utf8'));
  const arm = arms.planar2;
  assert.equal(model.kind, 'trajectory');
  assert.equal(model.inputSize, 4);  // (x, y), then the current joints
  // maxStep 0: the network on (target, q) as it is, the same as predict on that row
  const q0 = [-0.722734, 1.445468], near = [1.49, 0.02];
  const stepped = model.step(q0, near, 0), predicted = model.predict(Float32Array.from([...near, ...q0]), 1);
  for (let j = 0; j < 2; ++j) assert.ok(Math.abs(stepped[j] - predicted[j]) < 1e-6, `${stepped} != ${predicted}`);
  // from elbow_down at (1.5, 0): 200 points of a circle of 0.5 m around (1, 0), one step each
  let q = Float64Array.from(q0), worst = 0, jump = 0;
  for (let i = 0; i < 200; ++i) {
    const a = (2 * Math.PI * i) / 200, target = [1 + 0.5 * Math.cos(a), 0.5 * Math.sin(a)];
    const next = model.step(q, target, 0.05);
    jump = Math.max(jump, ...Array.from(next, (v, j) => Math.abs(v - q[j])));
    q = next;
    worst = Math.max(worst, arm.taskErrors(target, q, 1)[0]);
    assert.ok(q[1] > 0, `left elbow_down at point ${i}: ${q}`);
  }
  assert.ok(worst < 0.01, `worst tracking error ${worst} m`);
  assert.ok(jump < 0.1, `largest joint change ${jump} rad`);
  assertThrowsError(() => model.step([0.1], near, 0.05), /Model.step q: expected 2 joint angles/);
  assertThrowsError(() => model.step(q0, [1, NaN], 0.05), /Model.step target\[1\]: expected a finite number/);
  assertThrowsError(() => model.step(q0, near, 'far'), /Model.step maxStep: expected a finite number/);
  model.delete();
  const ik = new M.Model(JSON.stringify(tinyModel()));
  assertThrowsError(() => ik.step(q0, near, 0.05), /Model.step: expected a trajectory model \(kind "trajectory"\), got a ik model/);
  ik.delete();
});

test('Model.inputs / Model.run: views on wasm memory, the same numbers as predict', () => {
  const model = new M.Model(tinyModel());
  const n = 150;
  const x = new Float32Array(2 * n).map((_, i) => Math.cos(0.3 * i));
  const want = model.predict(x, n);
  const view = model.inputs(n);
  assert.ok(view instanceof Float32Array && view.length === 2 * n);
  assert.equal(view.buffer, M.HEAPF32.buffer, 'inputs(n) is not a view of wasm memory');
  view.set(x);
  const y = model.run(n);
  assert.equal(y.buffer, M.HEAPF32.buffer, 'run(n) is not a view of wasm memory');
  assert.deepEqual(Array.from(y), Array.from(want));
  // fewer rows reuse the same buffers; the first rows are the same rows
  assert.deepEqual(Array.from(model.run(3)), Array.from(want.subarray(0, 6)));
  assertThrowsError(() => model.run(n + 1), /^Model\.run n: expected at most 150 rows .*call inputs\(151\) first/);
  model.inputs(1)[0] = NaN;
  assertThrowsError(() => model.run(1), /^Model\.run inputs\[0\]: expected a finite number/);
  assertThrowsError(() => model.inputs(-2), /^Model\.inputs n: expected an integer/);
  model.delete();
});

test('refine: DLS from a nearby start converges, deterministic, without restarts', () => {
  for (const arm of Object.values(arms)) {
    for (const q of rows(arm.sample(10, 21), arm.dof)) {
      const target = arm.fk(q).task;
      const start = q.map((v, i) => Math.min(arm.upper()[i], Math.max(arm.lower()[i], v + 0.05)));
      const r = arm.refine(target, start);
      assert.equal(r.status, 'converged', `${arm.name} refine ${JSON.stringify(r)}`);
      assert.equal(r.restarts, 0);
      assert.deepEqual(arm.refine(target, start), r);
      const few = arm.refine(target, start, { maxIterations: 1, tolPos: 1e-12 });
      assert.ok(few.iterations <= 1);
    }
  }
  const kr6 = arms.kr6, t = kr6.fk([0, 0, 0, 0, 0, 0]).task;
  assertThrowsError(() => kr6.refine(t, [0]), /^Arm\.refine q0: expected 6 joint angles/);
  assertThrowsError(() => kr6.refine([1], [0, 0, 0, 0, 0, 0]), /^Arm\.refine target: expected 7 values/);
  assertThrowsError(() => kr6.refine(t, [0, 0, 0, 0, 0, 0], { seed: 1 }),
                    /^Arm\.refine options: expected options among tolPos, tolRot, maxIterations, got 'seed'$/);
});

test('batch calls agree with the single calls: taskVectors, taskErrors, classifyPoses', () => {
  for (const arm of Object.values(arms)) {
    const n = 40, m = arm.taskSize;
    const q = arm.sample(n, 5);
    const tasks = arm.taskVectors(q, n);
    assert.ok(tasks instanceof Float64Array && tasks.length === n * m);
    rows(q, arm.dof).forEach((qi, i) => assert.deepEqual(Array.from(tasks.subarray(i * m, i * m + m)), Array.from(arm.fk(qi).task)));
    // errors of q against its own targets are ~0; against the next row's targets they are not
    const self = arm.taskErrors(tasks, q, n);
    assert.equal(self.length, 2 * n);
    self.forEach((e) => assert.ok(e < 1e-9, `${arm.name} self error ${e}`));
    const shifted = Float64Array.from({ length: n * arm.dof }, (_, k) => q[(k + arm.dof) % (n * arm.dof)]);
    const other = arm.taskErrors(tasks, shifted, n);
    const p0 = arm.fk(shifted.subarray(0, arm.dof)).position, t0 = tasks.subarray(0, m);
    const d = Math.hypot(p0[0] - t0[0], p0[1] - t0[1], arm.task === 'planar_xy' ? 0 : p0[2] - t0[2]);
    assert.ok(Math.abs(other[0] - d) < 1e-12, `${arm.name} taskErrors ${other[0]} != ${d}`);
    const cls = arm.classifyPoses(tasks, n);
    assert.ok(cls.classIndex instanceof Uint8Array && cls.classIndex.length === n);
    for (const i of [0, 7, 39]) {
      const one = arm.classifyPose(tasks.subarray(i * m, i * m + m));
      assert.equal(cls.classIndex[i], one.classIndex);
      assert.equal(cls.inverseCondition[i], one.inverseCondition);
      assert.ok(one.classIndex > 0, 'the forward kinematics of a joint sample is reachable');
    }
  }
  const kr6 = arms.kr6;
  assertThrowsError(() => kr6.taskVectors(new Float64Array(11), 2), /^Arm\.taskVectors q: expected 2 x 6 = 12 values, got 11$/);
  assertThrowsError(() => kr6.taskVectors([0, 0, 0, 0, 0, NaN], 1), /^Arm\.taskVectors q row 0\[5\]: expected a finite angle/);
  assertThrowsError(() => kr6.taskErrors([0, 0, 0, 0, 0, 0, 2], [0, 0, 0, 0, 0, 0], 1), /^Arm\.taskErrors targets row 0.*unit norm/);
  assertThrowsError(() => kr6.classifyPoses([1, 2], 1), /^Arm\.classifyPoses targets: expected 1 x 7 = 7 values, got 2$/);
  assertThrowsError(() => kr6.classifyPoses([], 0, { q0: 1 }), /^Arm\.classifyPoses options: expected options among/);
});

test('wrapIntoLimits: whole turns into the limits, the same pose; within says whether all fit', () => {
  const puma3 = arms.puma3;  // J3 in [-225, 45] deg: 171.9 deg is outside, -188.1 deg the same angle inside
  const q = [0.9, 0.9, 3.0];
  const r = puma3.wrapIntoLimits(q);
  assert.equal(r.within, true);
  assert.ok(Math.abs(r.q[2] - (3.0 - 2 * Math.PI)) < 1e-12 && r.q[0] === 0.9 && r.q[1] === 0.9);
  assert.ok(Math.abs(puma3.fk(r.q).position[0] - puma3.fk(q).position[0]) < 1e-12);
  const out = puma3.wrapIntoLimits([3.0, 0, 0]);  // J1 in [-160, 160] deg: 172 deg fits nowhere
  assert.equal(out.within, false);
  assertThrowsError(() => puma3.wrapIntoLimits([0]), /^Arm\.wrapIntoLimits q: expected 3 joint angles/);
});

test('jointAxes: each joint\'s point and axis in world (kr6 URDF numbers at q = 0)', () => {
  const a = arms.kr6.jointAxes(new Float64Array(6));
  assert.equal(a.length, 36);
  const want = [[0, 0, 0.4, 0, 0, -1], [0.025, 0, 0.4, 0, 1, 0], [0.48, 0, 0.4, 0, 1, 0],
                [0.48, 0, 0.435, -1, 0, 0], [0.9, 0, 0.435, 0, 1, 0], [0.98, 0, 0.435, -1, 0, 0]];
  want.flat().forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-12, `jointAxes[${i}] = ${a[i]}, want ${v}`));
  // puma3 (DH): joint i turns about z of frame i - 1, through its origin
  const q = [0.3, 0.4, -0.5];
  const f = arms.puma3.frames(q), p = arms.puma3.jointAxes(q);
  for (let i = 0; i < 3; ++i)
    for (let c = 0; c < 3; ++c) {
      assert.ok(Math.abs(p[6 * i + c] - f[16 * i + 12 + c]) < 1e-12);
      assert.ok(Math.abs(p[6 * i + 3 + c] - f[16 * i + 8 + c]) < 1e-12);
    }
  assertThrowsError(() => arms.kr6.jointAxes([0]), /^Arm\.jointAxes q: expected 6 joint angles/);
});

test('errors: JS Errors naming the call and what is wrong', () => {
  const kr6 = arms.kr6;
  const t = kr6.fk([0, 0, 0, 0, 0, 0]).task;
  // arm files
  assertThrowsError(() => new M.Arm('{'), /^new Arm: arm: not valid JSON/);
  assertThrowsError(() => new M.Arm('{}'), /^new Arm: arm\.format/);
  assertThrowsError(() => new M.Arm(42), /^new Arm: expected JSON text .*, got number 42$/);
  // embind's own arity checks (BindingError, an Error too)
  assertThrowsError(() => new M.Arm(), /^Tried to invoke ctor of Arm with invalid number of parameters \(0\)/);
  assertThrowsError(() => arms.kr6.ik(), /expects one of \(,Arm\.ik\(1 argument\),Arm\.ik\(2 arguments\)\)/);
  const bad = JSON.parse(armFiles().find((a) => a.name === 'kr6').text);
  bad.joints[2].axis = [0, 0, 0];
  assertThrowsError(() => new M.Arm(bad), /^new Arm: arm\.joints\[2\]\.axis: expected a non-zero/);
  // joint angles
  assertThrowsError(() => kr6.fk([1, 2, 3, 4, 5]), /^Arm\.fk q: expected 6 joint angles.*, got 5$/);
  assertThrowsError(() => kr6.fk([0, 0, 0, 0, 0, NaN]), /^Arm\.fk q\[5\]: expected a finite angle/);
  assertThrowsError(() => kr6.fk([0, 0, 0, 0, 0, 'x']), /^Arm\.fk q\[5\]: expected a finite angle/);
  assertThrowsError(() => kr6.fk(undefined), /^Arm\.fk q: expected a Float64Array or Array of 6 joint angles, got undefined$/);
  assertThrowsError(() => kr6.fk('abc'), /got the string "abc"$/);
  assertThrowsError(() => kr6.fk(new BigInt64Array(6)), /got \[object BigInt64Array\]$/);
  assertThrowsError(() => kr6.frames([1]), /^Arm\.frames q: expected 6 joint angles/);
  assertThrowsError(() => kr6.conditioning([1]), /^Arm\.conditioning q: expected 6 joint angles/);
  // targets and options
  assertThrowsError(() => kr6.ik([1, 2, 3]), /^Arm\.ik target: expected 7 values/);
  assertThrowsError(() => kr6.ik([1, 0, 0, 0, 0, 0, 2]), /^Arm\.ik target.*unit norm/);
  assertThrowsError(() => kr6.ik(t, { tol: 1 }), /^Arm\.ik options: expected options among tolPos, .*, got 'tol'$/);
  assertThrowsError(() => kr6.ik(t, { tolPos: 'a' }), /^Arm\.ik options\.tolPos: expected a finite number, got the string "a"$/);
  assertThrowsError(() => kr6.ik(t, { tolPos: -1 }), /^Arm\.ik: .*positive/);
  assertThrowsError(() => kr6.ik(t, { maxIterations: 1.5 }), /^Arm\.ik options\.maxIterations: expected an integer/);
  assertThrowsError(() => kr6.ik(t, { seed: -1 }), /^Arm\.ik options\.seed: expected an integer in \[0, /);
  assertThrowsError(() => kr6.ik(t, { q0: [1] }), /^Arm\.ik options\.q0: expected 6 joint angles/);
  assertThrowsError(() => kr6.ik(t, 5), /^Arm\.ik options: expected an options object, got number 5$/);
  // kr6 has a closed-form solver (spherical wrist): every branch reproduces the target
  for (const s of kr6.ikAnalytic(t)) assert.ok(Math.abs(kr6.fk(s.q).task[0] - t[0]) < 1e-9);
  assertThrowsError(() => kr6.ikAnalytic([0, 0, 0]), /^Arm\.ikAnalytic target: expected 7 values/);
  assertThrowsError(() => arms.puma3.classifyPose([0, 0]), /^Arm\.classifyPose target: expected 3 values/);
  assertThrowsError(() => arms.puma3.classifyPose([0.5, 0, 0.5], { q0: [0, 0, 0] }), /^Arm\.classifyPose options: expected options among/);
  assertThrowsError(() => kr6.sample(-1, 0), /^Arm\.sample count: expected an integer/);
  assertThrowsError(() => kr6.sample(1, 0.5), /^Arm\.sample seed: expected an integer/);
  assertThrowsError(() => kr6.calibrate(5, 0), /^Arm\.calibrate samples: expected an integer in \[10, /);
  // models
  assertThrowsError(() => new M.Model('not json'), /^new Model: model: not valid JSON/);
  assertThrowsError(() => new M.Model(JSON.stringify(tinyModel({ format: 'x' }))), /^new Model: model\.format: expected "neurokin-model"/);
  assertThrowsError(() => new M.Model(JSON.stringify(tinyModel({ task: 'pose' }))), /^new Model: model\.task/);
  const model = new M.Model(tinyModel());
  assertThrowsError(() => model.predict(new Float32Array(3), 2), /^Model\.predict inputs: expected 2 x 2 = 4 values, got 3$/);
  assertThrowsError(() => model.predict(new Float32Array([0, NaN]), 1), /^Model\.predict inputs\[1\]: expected a finite number/);
  assertThrowsError(() => model.predict(new Float32Array(2), -1), /^Model\.predict n: expected an integer/);
  model.delete();
  // a deleted object: embind's own message
  const gone = new M.Arm(kr6.json());
  gone.delete();
  assertThrowsError(() => gone.fk([0, 0, 0, 0, 0, 0]), /deleted/);
});

test('errors leak nothing: stack pointer and JS handles unchanged after 20000 throws', () => {
  const kr6 = arms.kr6;
  const sp = M.stackSave(), handles = M.count_emval_handles();
  const calls = [() => kr6.fk([1]), () => kr6.ik([1, 2]), () => kr6.ik([0.5, 0, 0.5, 0, 0, 0, 1], { x: 1 }),
                 () => new M.Arm('{'), () => kr6.frames(null)];
  let thrown = 0;
  for (let i = 0; i < 20000; ++i) {
    try {
      calls[i % calls.length]();
    } catch (e) {
      thrown += e instanceof Error ? 1 : 0;
    }
  }
  assert.equal(thrown, 20000);
  assert.equal(M.stackSave(), sp, 'the shadow stack pointer moved');
  assert.equal(M.count_emval_handles(), handles, 'emval handles leaked');
  // and the module still works
  assertPose(kr6, [0, 0, 0, 0, 0, 0], [0.980, 0, 0.435]);
});
