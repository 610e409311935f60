// The four feasibility classes (PRODUCT.md), in the core's class order, with the colour the
// page uses for each and the one sentence the legend says about it.
export const CLASSES = [
  { name: 'unreachable', label: 'Unreachable', colour: '#7a7f87',
    text: 'No joint configuration within the limits puts the tool here.' },
  { name: 'near_singular', label: 'Near-singular', colour: '#d7301f',
    text: 'Reachable, but close to a singularity: small target moves need large joint moves.' },
  { name: 'adequate', label: 'Adequate', colour: '#f0a202',
    text: 'Reachable with ordinary conditioning (the middle 60% of the arm\'s configurations).' },
  { name: 'high_manipulability', label: 'High manipulability', colour: '#1a9850',
    text: 'Reachable in a well-conditioned configuration: the arm moves freely in every direction.' },
];

export function classByName(name) {
  return CLASSES.find((c) => c.name === name) ?? CLASSES[0];
}

// Where a target's class comes from, as the page names it: the arm's shipped classifier network
// (models/ARM/feasibility.json, run by the core) or the core's exact answer (closed-form IK, the
// best-conditioned solution within the limits, and its inverse condition number).
export const SOURCES = {
  classifier: 'the classifier',
  exact: 'the core (IK + conditioning)',
};

// The feasibility classifier of one arm on the wasm core: n task vectors -> the four class
// probabilities each (0 unreachable ... 3 high manipulability) and the likeliest class, in one
// batch call through the model's own buffers (Model.inputs / Model.run, docs/js-api.md).
// Throws when the file is not a feasibility model for this arm.
export class Classifier {
  constructor(NK, jsonText, arm) {
    this.model = new NK.Model(jsonText);
    try {
      const m = this.model;
      if (m.kind !== 'feasibility') throw new Error(`this is an ${m.kind} model, not a feasibility classifier`);
      if (m.inputSize !== arm.taskSize || m.outputSize !== CLASSES.length)
        throw new Error(`it maps ${m.inputSize} inputs to ${m.outputSize} classes; ${arm.name} needs ` +
                        `${arm.taskSize} (${arm.task}) to ${CLASSES.length}`);
      const modelArm = m.arm();
      const name = modelArm.name;
      modelArm.delete();
      if (name !== arm.name) throw new Error(`it is for the arm '${name}', not '${arm.name}'`);
    } catch (e) {
      this.model.delete();
      throw e;
    }
  }

  // targets: n rows of task values -> {classIndex: Uint8Array(n), probabilities: Float32Array(4 n)}
  classify(targets, n) {
    this.model.inputs(n).set(targets);
    const probabilities = Float32Array.from(this.model.run(n));  // a copy: the view dies with the next call
    const classIndex = new Uint8Array(n);
    const k = CLASSES.length;
    for (let i = 0; i < n; ++i) {
      let best = 0;
      for (let c = 1; c < k; ++c) if (probabilities[i * k + c] > probabilities[i * k + best]) best = c;
      classIndex[i] = best;
    }
    return { classIndex, probabilities };
  }

  // one target -> {class (name), classIndex, probability (of that class), probabilities}
  classifyOne(target) {
    const { classIndex, probabilities } = this.classify(target, 1);
    const c = classIndex[0];
    return { class: CLASSES[c].name, classIndex: c, probability: probabilities[c], probabilities };
  }

  dispose() {
    this.model.delete();
  }
}

// the slice's cells where the classifier and the exact class differ: magenta, which no class uses
export const DIFFER_COLOUR = '#e02fd6';

// the grid's task vectors: cell (i, j) at centre + s u + t v, s and t in [-1/2, 1/2], row j after
// row j - 1; the task values after the position (orientation, pitch) are the target's own
export function sliceTargets(size, { centre, u, v }, rest, taskSize, positionSize) {
  const targets = new Float64Array(size * size * taskSize);
  for (let j = 0; j < size; ++j)
    for (let i = 0; i < size; ++i) {
      const s = i / (size - 1) - 0.5, t = j / (size - 1) - 0.5;
      const k = (j * size + i) * taskSize;
      for (let c = 0; c < positionSize; ++c) targets[k + c] = centre[c] + s * u[c] + t * v[c];
      for (let c = 0; c < rest.length; ++c) targets[k + positionSize + c] = rest[c];
    }
  return targets;
}

// an error in mm -> an RGB colour on a green (0) - yellow - red (max) scale
export function errorColour(mm, maxMm) {
  const t = Math.min(1, Math.max(0, mm / maxMm));
  const stops = [[0x1a, 0x98, 0x50], [0xfe, 0xe0, 0x8b], [0xd7, 0x30, 0x27]];
  const s = t < 0.5 ? 0 : 1, u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
  return stops[s].map((a, i) => Math.round(a + (stops[s + 1][i] - a) * u));
}

export function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
