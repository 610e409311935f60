// ONNX Runtime (onnxruntime-node) against the core: every exported model, run on batches of
// 1, 7 and 1000 rows, must give the core's predict() outputs to 1e-5 (radians, wrap-aware for
// sincos-decoded angles; probabilities). A sincos-decoded angle is compared where it is
// determined: its difference times the norm of the (sin, cos) pair it comes from, when that norm
// is below 1 (atan2 turns an output difference e into e / norm; a network leaves an angle
// undetermined, its pair near 0, where the angle does not matter, e.g. omx4's base angle for a
// target on the base axis). Both the raw and this difference are printed.
// Probabilities (feasibility classifiers) are compared to 5e-5 instead: a probability moves by
// p (1 - p) times its logit's change, and a trained classifier's logits (tens) carry float32
// rounding of ~1e-6 of that through four 256-wide layers: the shipped kr6 classifier differs
// by 1.1e-5 at p = 0.494. What matters there is the class: it must be the same wherever the
// core's two most probable classes are more than 1e-4 apart.
// The cases come from `test_onnx [write_cases]`:
//   node tests/onnx/ort_agrees.mjs CASES_DIR     (CASES_DIR/cases.json, CASES_DIR/NAME/*)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const kTolerance = 1e-5;
const kProbabilityTolerance = 5e-5;
const kClassGap = 1e-4;
const kBatches = [1, 7, 1000];

// a missing package is a failure with the fix in the message, never a skip
let ort;
try {
  ort = await import('onnxruntime-node');
} catch (e) {
  console.error(`ort_agrees: cannot load onnxruntime-node (${e.message}).\n` +
                'Install the root package.json dev dependencies: bash scripts/bootstrap.sh');
  process.exit(1);
}

const dir = process.argv[2];
assert.ok(dir, 'usage: node tests/onnx/ort_agrees.mjs CASES_DIR');

// a CSV of numbers with a header row -> {columns, rows, values (row-major Float32Array)}
function readCsv(path) {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const columns = lines[0].split(',').length;
  const values = Float32Array.from(lines.slice(1).flatMap((l) => l.split(',').map(Number)));
  assert.equal(values.length, (lines.length - 1) * columns, `${path}: ragged rows`);
  return { columns, rows: lines.length - 1, values };
}

// |a - b|, or for angles the distance around the circle (pi and -pi are the same angle)
function difference(a, b, wrap) {
  const d = Math.abs(a - b);
  return wrap ? Math.min(d, Math.abs(2 * Math.PI - d)) : d;
}

const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));
assert.ok(cases.length > 0, `${dir}/cases.json lists no cases`);
const failures = [];
console.log(`onnxruntime-node ${ort.env.versions.node}, tolerance ${kTolerance} ` +
            `(probabilities ${kProbabilityTolerance})`);
console.log('case'.padEnd(58) + 'max |onnx - core|');

for (const c of cases) {
  const caseDir = join(dir, c.name);
  const session = await ort.InferenceSession.create(join(caseDir, 'model.onnx'));
  // inputs: [name, columns] in order, each fed the next columns of inputs.csv (a trajectory
  // model: the target, then the current joints)
  const inputs = c.inputs;
  assert.deepEqual(session.inputNames, inputs.map(([name]) => name), `${c.name}: input names`);
  assert.deepEqual(session.outputNames, [c.output], `${c.name}: output names`);
  const x = readCsv(join(caseDir, 'inputs.csv'));
  const y = readCsv(join(caseDir, 'expected.csv'));
  const norms = c.pair_norms ? readCsv(join(caseDir, 'norms.csv')) : null;
  assert.equal(y.columns, c.columns, `${c.name}: expected.csv columns`);
  assert.ok(x.rows >= Math.max(...kBatches), `${c.name}: ${x.rows} input rows`);

  // the leading rows of each batch size, so the edge rows at the top run in every batch
  let worst = 0;
  let worstRaw = 0;  // the angle difference whatever the pair's norm
  let where = '';
  const probabilities = c.output === 'probabilities';
  const tolerance = probabilities ? kProbabilityTolerance : kTolerance;
  let classMismatches = 0;
  for (const n of kBatches) {
    const feeds = {};
    let first = 0;
    for (const [name, width] of inputs) {
      const v = new Float32Array(n * width);
      for (let r = 0; r < n; ++r) v.set(x.values.slice(r * x.columns + first, r * x.columns + first + width), r * width);
      feeds[name] = new ort.Tensor('float32', v, [n, width]);
      first += width;
    }
    assert.equal(first, x.columns, `${c.name}: the inputs' columns`);
    const out = (await session.run(feeds))[c.output];
    // a clustered model's candidates are [n, K, dof]: compared row-major as n x (K dof)
    assert.deepEqual(out.dims, [n, ...(c.row_dims ?? [c.columns])], `${c.name}: output shape at batch ${n}`);
    for (let r = 0; probabilities && r < n; ++r) {
      const core = Array.from(y.values.slice(r * c.columns, (r + 1) * c.columns));
      const onnx = Array.from(out.data.slice(r * c.columns, (r + 1) * c.columns));
      const top = core.indexOf(Math.max(...core));
      const second = Math.max(...core.filter((_, k) => k !== top));
      if (core[top] - second > kClassGap && onnx.indexOf(Math.max(...onnx)) !== top) ++classMismatches;
    }
    for (let i = 0; i < n * c.columns; ++i) {
      const raw = difference(out.data[i], y.values[i], c.angles_wrap);
      const d = norms ? raw * Math.min(1, norms.values[i]) : raw;
      if (!(raw <= worstRaw)) worstRaw = Number.isNaN(raw) ? Infinity : raw;
      // NaN never passes: a comparison with NaN is false
      if (!(d <= worst)) {
        worst = Number.isNaN(d) ? Infinity : d;
        where = `batch ${n}, row ${Math.floor(i / c.columns)}, column ${i % c.columns}: ` +
                `onnx ${out.data[i]}, core ${y.values[i]}`;
      }
    }
  }
  // ORT_AGREES_VERBOSE=1 also names the worst row
  const detail = process.env.ORT_AGREES_VERBOSE && where ? `  (${where})` : '';
  const rawNote = norms && worstRaw > worst ? `  (angle alone ${worstRaw.toExponential(2)})` : '';
  console.log(c.name.padEnd(58) + worst.toExponential(2) + rawNote + detail);
  if (!(worst <= tolerance)) failures.push(`${c.name}: ${worst} (tolerance ${tolerance}) at ${where}`);
  if (classMismatches > 0) failures.push(`${c.name}: ${classMismatches} rows change class`);
}

if (failures.length > 0) {
  console.error(`ort_agrees: ${failures.length} of ${cases.length} cases fail:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`ort_agrees: all ${cases.length} cases agree to ${kTolerance} (probabilities ${kProbabilityTolerance})`);
