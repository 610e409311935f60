// Where joint angles come from: our wasm core running a JSON model, ONNX Runtime Web running
// an .onnx model (loaded only when chosen), or, for an arm without a trained model, the core's
// closed-form IK. Each answers predict(target) -> Float64Array of joint angles.
// the wasm core's network, through the zero-copy buffers of Model.inputs / Model.run
export class WasmBackend {
  constructor(NK, jsonTextOrBytes, arm, label) {
    this.model = new NK.Model(jsonTextOrBytes);
    try {
      checkModelFits(this.model.kind, arm, this.model.inputSize, this.model.outputSize);
      const modelArm = this.model.arm();
      const name = modelArm.name;
      modelArm.delete();
      if (name !== arm.name) throw new Error(`this model is for the arm '${name}', not '${arm.name}'`);
    } catch (e) {
      this.model.delete();
      throw e;
    }
    this.label = label;
    this.kind = 'wasm';
  }
  predict(target) {
    this.model.inputs(1).set(target);
    return Float64Array.from(this.model.run(1));
  }
  time(target) {
    this.model.inputs(1).set(target);
    return bestTime(() => this.model.run(1), () => !this.model.isDeleted());
  }
  // the names of the network's branch heads ([] for a network with one answer)
  get branches() {
    return this.model.branches;
  }
  // every head's answer: [{branch, q: Float64Array (rad, decoded), probability}]
  predictBranches(target) {
    const { outputs, probabilities } = this.model.predictBranches(Float32Array.from(target), 1);
    const dof = this.model.outputSize;
    return this.model.branches.map((branch, k) => ({
      branch, q: Float64Array.from(outputs.subarray(k * dof, (k + 1) * dof)), probability: probabilities[k],
    }));
  }
  // a clustered model's networks (0 for one network): predict() gives the FK-consistent one
  get clusters() {
    return this.model.clusters;
  }
  // every cluster's answer: [{branch: 'cluster k', q: Float64Array (rad), chosen}]
  predictCandidates(target) {
    const { outputs, chosen } = this.model.predictCandidates(Float32Array.from(target), 1);
    const dof = this.model.outputSize;
    return Array.from({ length: this.model.clusters }, (_, k) => ({
      branch: `cluster ${k}`, q: Float64Array.from(outputs.subarray(k * dof, (k + 1) * dof)), chosen: chosen[0] === k,
    }));
  }
  dispose() {
    this.model.delete();
  }
}

// time per call of fn (ms; awaited when it returns a promise): calls are repeated for 10 ms
// (timers are coarse without cross-origin isolation), three times, the page free to draw between
// them; the fastest window counts, as the others include whatever else the machine was doing.
// NaN when alive() turns false on the way (the page let go of the model or arm meanwhile)
export async function bestTime(fn, alive) {
  let best = Infinity;
  for (let w = 0; w < 3; ++w) {
    if (!alive()) return NaN;
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < 10 || n < 2) {
      const r = fn();
      if (r instanceof Promise) await r;
      ++n;
      t = performance.now();
    }
    best = Math.min(best, (t - t0) / n);
    await new Promise((resolve) => setTimeout(resolve, 0));  // let a frame in between windows
  }
  return best;
}

// an ik model's sizes must be the arm's task size and joint count (kind: 'ik', 'ik_clustered',
// 'feasibility' or 'trajectory')
function checkModelFits(kind, arm, inputSize, outputSize) {
  if (kind === 'feasibility') throw new Error('this is a feasibility model, not an IK model (it outputs class probabilities)');
  if (kind === 'trajectory')
    throw new Error('this is a trajectory model (target and current joints -> next joints), not an IK model ' +
                    '(path mode runs it for the arm it ships with: Trajectory model; the command line: neurokin track)');
  if (inputSize !== arm.taskSize || outputSize !== arm.dof)
    throw new Error(`this model maps ${inputSize} inputs to ${outputSize} outputs; ` +
                    `${arm.name} needs ${arm.taskSize} (${arm.task}) to ${arm.dof} joint angles`);
}

let ortPromise = null;
// ONNX Runtime Web, imported on first use (its own chunk; Vite ships its .wasm next to it, and
// wasmPaths stays unset so the bundle finds it), single-threaded: no COOP/COEP headers needed
function loadOrt() {
  ortPromise ??= import('onnxruntime-web/wasm').then((ort) => {
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    return ort;
  });
  return ortPromise;
}

export class OnnxBackend {
  static async create(bytes, arm, label) {
    const ort = await loadOrt();
    let session;
    try {
      session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ['wasm'] });
    } catch (e) {
      throw new Error(`not a valid ONNX model: ${e.message}`);
    }
    const b = new OnnxBackend();
    b.ort = ort;
    b.session = session;
    b.label = label;
    b.kind = 'onnx';
    b.input = session.inputNames[0];
    b.output = session.outputNames[0];
    if (b.output === 'candidates')
      throw new Error("this is a clustered model's ONNX (every cluster's candidate, no choice): load its .json, " +
                      'whose networks the core runs and chooses among by forward kinematics');
    // sizes from the graph's declared shapes, when it declares them
    const inShape = session.inputMetadata?.[0]?.shape, outShape = session.outputMetadata?.[0]?.shape;
    const inSize = Array.isArray(inShape) ? inShape.at(-1) : arm.taskSize;
    const outSize = Array.isArray(outShape) ? outShape.at(-1) : arm.dof;
    // a trajectory model's second input is the current joints
    const kind = b.output === 'probabilities' ? 'feasibility' : session.inputNames.length > 1 ? 'trajectory' : 'ik';
    if (kind !== 'ik' || (typeof inSize === 'number' && typeof outSize === 'number'))
      checkModelFits(kind, arm, inSize, outSize);
    b.dof = arm.dof;
    // one run proves the graph works before the page relies on it
    const q = await b.predict(new Float64Array(arm.taskSize).fill(0.1));
    if (q.length !== arm.dof) throw new Error(`this model outputs ${q.length} values; ${arm.name} has ${arm.dof} joints`);
    return b;
  }
  async predict(target) {
    const x = new this.ort.Tensor('float32', Float32Array.from(target), [1, target.length]);
    const out = await this.session.run({ [this.input]: x });
    return Float64Array.from(out[this.output].data);
  }
  time(target) {
    return bestTime(() => this.predict(target), () => !this.released);
  }
  dispose() {
    this.released = true;
    this.session?.release();
  }
}

// no trained model: the core's closed-form solution nearest the arm's current configuration
// (DLS from there when the arm has no closed form); not a network, and the page says so
export class AnalyticBackend {
  constructor(arm) {
    this.arm = arm;
    this.kind = 'analytic';
    this.label = arm.hasAnalyticIk ? 'closed-form IK (core)' : 'damped least squares (core)';
    this.current = null;
  }
  predict(target) {
    const current = this.current ?? Float64Array.from(this.arm.lower(), (lo, i) => (lo + this.arm.upper()[i]) / 2);
    if (this.arm.hasAnalyticIk) {
      const sols = this.arm.ikAnalytic(target);
      if (sols.length > 0) {
        let best = sols[0].q, bestD = Infinity;
        for (const s of sols) {
          const d = s.q.reduce((acc, v, i) => acc + (v - current[i]) ** 2, 0);
          if (d < bestD) [best, bestD] = [s.q, d];
        }
        return best;
      }
    }
    return this.arm.ik(target, { q0: current, timeMs: 0, maxRestarts: 20, seed: 1 }).q;
  }
  time(target) {
    return bestTime(() => this.predict(target), () => !this.arm.isDeleted());
  }
  dispose() {}
}

// the largest difference between two joint vectors, around the circle (rad)
export function maxAngleDifference(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; ++i) {
    const d = Math.abs(a[i] - b[i]) % (2 * Math.PI);
    m = Math.max(m, Math.min(d, 2 * Math.PI - d));
  }
  return m;
}

// a smooth move of the joints from `from` to `to` starting at time `now` (ms): longer for
// larger turns, at most 0.9 s
export function makeTween(from, to, now) {
  return { from: Float64Array.from(from), to: Float64Array.from(to), t0: now, ms: Math.min(900, 180 + 420 * maxAngleDifference(from, to)) };
}

// the joints of a tween at time now (ease in-out cubic) and whether it has ended
export function tweenAt(tw, now) {
  const u = Math.min(1, (now - tw.t0) / tw.ms);
  const e = u < 0.5 ? 4 * u * u * u : 1 - (-2 * u + 2) ** 3 / 2;
  return { q: Float64Array.from(tw.from, (a, i) => a + (tw.to[i] - a) * e), done: u >= 1 };
}
