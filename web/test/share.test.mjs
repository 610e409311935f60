// Node tests of what sharing is made of (no browser): the hash (state.js) never throws and names
// what it ignored; page links rewritten to files; float16; the inline model codec; and what
// float16 weights cost the shipped planar2 model, measured with the wasm core on 4096 targets.
// Run: node --test web/test/share.test.mjs   (make test; make web must have built web/dist)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'fflate';

import { decodeModel, encodeModel, fromHalf, toBase64Url, toHalf } from '../src/modelcodec.js';
import { formatHash, parseHash, rawModelUrl } from '../src/state.js';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = path.resolve(webDir, '..');
const ARMS = ['planar2', 'puma3', 'omx4', 'kr6'];
const planar2Text = fs.readFileSync(path.join(repoDir, 'models', 'planar2', 'ik.json'), 'utf8');

test('the hash: every key round-trips through formatHash and parseHash', () => {
  const state = {
    arm: 'kr6', target: [0.5, -0.25, 0.6, 0, 0.707107, 0, 0.707107], backend: 'onnx', refine: true, allSolutions: true,
    mode: 'path', path: 'points', points: [[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6]], camera: [1.5, -1.5, 1.1, 0, 0, 0.3],
    model: 'https://example.org/a model.json?x=1&y=2', compareData: 'AbC-_9', classroom: true, hide: ['inference', 'share'],
    tour: 3, speed: 0.5, feasibility: 'exact', pathSolver: 'trajectory',
  };
  const { state: back, problems } = parseHash(formatHash(state), ARMS);
  assert.deepEqual(problems, []);
  assert.deepEqual(back, state);
  // FK mode carries the joints; circle paths their radius
  const fk = parseHash(formatHash({ arm: 'puma3', backend: 'wasm', mode: 'fk', q: [0.1, -0.2, 0.3] }), ARMS);
  assert.deepEqual(fk.state.q, [0.1, -0.2, 0.3]);
  const circle = parseHash(formatHash({ arm: 'puma3', backend: 'wasm', mode: 'path', path: 'circle', radius: 0.125 }), ARMS);
  assert.equal(circle.state.radius, 0.125);
  // defaults stay out of the link
  assert.equal(formatHash({ arm: 'planar2', target: [1, 0], backend: 'wasm', refine: false, mode: 'ik', speed: 1, hide: [],
                           feasibility: 'classifier', pathSolver: 'model' }),
               '#arm=planar2&target=1,0&backend=wasm&refine=0');
});

test('the hash: garbled links never throw; each bad or unknown key is named and dropped', () => {
  const cases = [
    ['#arm=kr6&colour=red&zoom=2', /ignored keys 'colour', 'zoom'/],
    ['#camera=1,2,3', /camera: expected 6 numbers, got 3/],
    ['#camera=1,2,3,4,5,x', /camera: entry 6 'x' is not a number/],
    ['#mode=dance', /mode: expected one of ik, fk, path, got 'dance'/],
    ['#hide=arm,wings', /hide: 'wings' is not a section/],
    ['#model=javascript:alert(1)', /model: refused a javascript: URL \(only http:, https:, data: URLs are loaded\)/],
    ['#compare=file:///etc/passwd', /compare: refused a file: URL/],
    ['#model=blob:http://x/1', /model: refused a blob: URL/],
    ['#model=%20', /model: expected an http\(s\) URL or a path on this site/],
    ['#modeldata=abc$def', /modeldata: expected base64url text/],
    ['#tour=0', /tour: expected a step number/],
    ['#speed=3', /speed: expected one of 0.25, 0.5, 1, 2/],
    ['#points=1,2,3;4,5', /points: point 2: expected 3 numbers, got 2/],
    ['#classroom=yes', /classroom: expected 0 or 1/],
    ['#radius=-1', /radius: expected a positive number/],
    ['#feas=guess', /feas: expected one of classifier, exact, got 'guess'/],
    ['#solver=ikflow', /solver: expected one of model, trajectory, got 'ikflow'/],
  ];
  for (const [hash, re] of cases) {
    const { problems } = parseHash(hash, ARMS);
    assert.ok(problems.some((p) => re.test(p)), `${hash}: ${problems.join('; ')}`);
  }
  // the good keys next to bad ones survive
  const mixed = parseHash('#arm=kr6&camera=oops&refine=1&what=ever', ARMS);
  assert.deepEqual(mixed.state, { arm: 'kr6', refine: true });
  // anything at all: never a throw, always {state, problems}
  const junk = ['#%', '#%E0%A4%A', '#&&&===&', '#arm', `#${'\u0000\uffff'.repeat(50)}`, '#target=' + ','.repeat(1e4),
                '#' + 'a=1&'.repeat(5000), '#hide=' + 'x,'.repeat(1000), '#__proto__=1&constructor=2'];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; ++i)
    junk.push('#' + Array.from({ length: Math.floor(rand() * 80) }, () => String.fromCharCode(32 + Math.floor(rand() * 200))).join(''));
  for (const hash of junk) {
    const { state, problems } = parseHash(hash, ARMS);
    assert.equal(typeof state, 'object');
    assert.ok(Array.isArray(problems));
    assert.ok(problems.every((p) => typeof p === 'string' && p.length < 2000), `${hash.slice(0, 40)}: a problem too long`);
    assert.equal(Object.getPrototypeOf(state), Object.prototype);
  }
  // offline (no list of arms): any well-formed arm name
  assert.equal(parseHash('#arm=planar2', null).state.arm, 'planar2');
  assert.equal(parseHash('#arm=<b>', null).state.arm, undefined);
});

test('page links to model files are rewritten to the files', () => {
  const cases = [
    ['https://github.com/me/robots/blob/main/models/planar2/ik.json', 'https://raw.githubusercontent.com/me/robots/main/models/planar2/ik.json'],
    ['https://github.com/me/robots/raw/v1.2/ik.onnx', 'https://raw.githubusercontent.com/me/robots/v1.2/ik.onnx'],
    ['https://gist.github.com/me/0123abcd', 'https://gist.githubusercontent.com/me/0123abcd/raw'],
    ['https://gitlab.com/me/robots/-/blob/main/ik.json', 'https://gitlab.com/me/robots/-/raw/main/ik.json'],
    ['https://huggingface.co/me/ik/blob/main/ik.onnx', 'https://huggingface.co/me/ik/resolve/main/ik.onnx'],
    ['https://www.dropbox.com/s/abc/ik.json?dl=0', 'https://www.dropbox.com/s/abc/ik.json?raw=1'],
    ['https://raw.githubusercontent.com/me/robots/main/ik.json', 'https://raw.githubusercontent.com/me/robots/main/ik.json'],
    ['models/planar2/ik.json', 'models/planar2/ik.json'],
  ];
  for (const [given, want] of cases) assert.equal(rawModelUrl(given), want, given);
});

test('float16: exact where representable, round to nearest even, saturating to infinity', () => {
  const exact = [0, 1, -2.5, 65504, 2 ** -14, 2 ** -24, 0.333251953125, -1000.5];
  for (const x of exact) assert.equal(fromHalf(toHalf(x)), x, `${x}`);
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00);      // a tie: to even (down)
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02);  // a tie: to even (up)
  assert.equal(toHalf(65520), 0x7c00);             // rounds past the largest half: infinity
  assert.equal(toHalf(2 ** -26), 0);               // below half the smallest subnormal
  assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
  assert.equal(toHalf(-0) & 0x8000, 0x8000);
  // every half value round-trips through float32 and back
  for (let h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue;  // NaNs
    assert.equal(toHalf(fromHalf(h)), h, `0x${h.toString(16)}`);
  }
});

test('inline models: a round trip keeps all but the weights exactly; damage is named', () => {
  const enc = encodeModel(planar2Text);
  assert.match(enc.data, /^[A-Za-z0-9_-]+$/);
  const back = JSON.parse(decodeModel(enc.data)), orig = JSON.parse(planar2Text);
  assert.deepEqual({ ...back, layers: null }, { ...orig, layers: null });  // arm, input, output, metadata
  assert.deepEqual(back.layers.map((l) => [l.type, l.in, l.out, l.function]), orig.layers.map((l) => [l.type, l.in, l.out, l.function]));
  // re-encoding the decoded model gives the same link (float16 values survive float32)
  assert.equal(encodeModel(JSON.stringify(back)).data, enc.data);
  assert.ok(enc.maxWeightChange < 1e-3, `largest weight change ${enc.maxWeightChange}`);
  console.log(`# planar2 inline: ${enc.parameters} weights, ${enc.rawBytes} bytes before deflate, ${enc.data.length} characters of base64url; largest weight change ${enc.maxWeightChange.toExponential(2)}`);
  assert.throws(() => decodeModel(enc.data.slice(0, 5000)), /modeldata: the link is cut short or damaged/);
  assert.throws(() => decodeModel('abc!'), /modeldata: not base64url \(character 4 is '!'\)/);
  assert.throws(() => decodeModel(toBase64Url(deflateSync(new TextEncoder().encode('hello world')))), /not an inline model/);
  const bad = (header, tail = new Uint8Array(0)) => {
    const h = new TextEncoder().encode(JSON.stringify(header));
    const p = new Uint8Array(8 + h.length + tail.length);
    p.set([0x4e, 0x4b, 1, 1]);
    new DataView(p.buffer).setUint32(4, h.length, true);
    p.set(h, 8);
    p.set(tail, 8 + h.length);
    return toBase64Url(deflateSync(p));
  };
  assert.throws(() => decodeModel(bad({ layers: [{ type: 'dense', weight: { f16: 4 } }] })), /layers\[0\]\.weight needs 4 values; the link ends before them/);
  assert.throws(() => decodeModel(bad({ layers: [{ type: 'dense', weight: { f16: -1 } }] })), /layers\[0\]\.weight: expected \{"f16": count\}/);
  assert.throws(() => decodeModel(bad({ layers: [] }, new Uint8Array(2))), /2 bytes follow the last layer's weights/);
  assert.throws(() => decodeModel(bad({ nolayers: 1 })), /has no layers/);
  assert.throws(() => encodeModel('{"format": "neurokin-arm"}'), /not a neurokin model file/);
});

test('float16 planar2: what the rounding costs on 4096 targets (joint angles and FK error)', async () => {
  const wasmDir = path.join(webDir, 'dist', 'wasm');
  assert.ok(fs.existsSync(path.join(wasmDir, 'neurokin.wasm')), `${wasmDir}/neurokin.wasm is missing: run 'make web'`);
  const NK = await createRequire(import.meta.url)(path.join(wasmDir, 'neurokin.js'))({
    wasmBinary: fs.readFileSync(path.join(wasmDir, 'neurokin.wasm')),
  });
  const full = new NK.Model(planar2Text), half = new NK.Model(decodeModel(encodeModel(planar2Text).data));
  const arm = full.arm();
  const n = 4096;
  const targets = Float32Array.from(arm.taskVectors(arm.sample(n, 42), n));
  const a = full.predict(targets, n), b = half.predict(targets, n);
  let maxDq = 0, maxFull = 0, maxHalf = 0, sumFull = 0, sumHalf = 0, maxDelta = 0;
  for (let i = 0; i < n; ++i) {
    const t = Float64Array.from(targets.subarray(2 * i, 2 * i + 2));
    const qa = Float64Array.from(a.subarray(2 * i, 2 * i + 2)), qb = Float64Array.from(b.subarray(2 * i, 2 * i + 2));
    maxDq = Math.max(maxDq, Math.abs(qa[0] - qb[0]), Math.abs(qa[1] - qb[1]));
    const ea = arm.taskErrors(t, qa, 1)[0] * 1000, eb = arm.taskErrors(t, qb, 1)[0] * 1000;
    maxFull = Math.max(maxFull, ea);
    maxHalf = Math.max(maxHalf, eb);
    sumFull += ea;
    sumHalf += eb;
    maxDelta = Math.max(maxDelta, Math.abs(eb - ea));
  }
  console.log(`# planar2 float16 vs float32 on ${n} seeded reachable targets: max |dq| ${maxDq.toExponential(2)} rad; ` +
              `FK error mean ${(sumFull / n).toFixed(4)} -> ${(sumHalf / n).toFixed(4)} mm, max ${maxFull.toFixed(4)} -> ${maxHalf.toFixed(4)} mm, ` +
              `largest change for one target ${maxDelta.toFixed(4)} mm`);
  // measured (seed 42): max |dq| 1.2e-3 rad; mean 0.292 -> 0.303 mm, max 1.118 -> 1.080 mm, one target
  // changes by at most 0.18 mm: small next to the model's own error. Bounds with a margin:
  assert.ok(maxDq < 2.5e-3, `max joint difference ${maxDq} rad`);
  assert.ok(maxDelta < 0.4, `FK error changed by up to ${maxDelta} mm`);
  assert.ok(sumHalf / n < (sumFull / n) * 1.1, `mean FK error ${sumFull / n} -> ${sumHalf / n} mm`);
  assert.ok(maxHalf < maxFull + 0.2, `max FK error ${maxFull} -> ${maxHalf} mm`);
  arm.delete();
  full.delete();
  half.delete();
});
