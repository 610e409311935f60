// "Show all solutions": every inverse-kinematics answer for the current target, drawn as
// translucent ghost arms with a label each and listed in the panel. The answers come from a
// clustered model's networks (each cluster's candidate and its FK error; the arm takes the one
// whose FK is nearest the target), from the network's branch heads when the loaded model has
// them (each head's answer, its probability and the error of its forward kinematics), otherwise
// from the core's closed-form solver (every branch within the joint limits, exact).
import { maxAngleDifference } from './backends.js';

const $ = (id) => document.getElementById(id);

// one colour per ghost, told apart on the light stage and from the orange arm and blue ghost
export const SOLUTION_COLOURS = ['#7048e8', '#0c8599', '#d6336c', '#2f9e44', '#1c7ed6', '#a06c00', '#862e9c', '#495057'];

// a branch name as people read it: "shoulder_front_elbow_up_wrist_noflip" ->
// "shoulder front, elbow up, wrist no flip"
export function branchLabel(name) {
  return name.replace(/_(?=(elbow|wrist)_)/g, ', ').replaceAll('_', ' ').replace(/\bnoflip\b/, 'no flip');
}

// a branch's probability as people read it: 87%, 3.2%, < 0.1%
function fmtProbability(p) {
  return p < 0.001 ? '< 0.1%' : p < 0.1 ? `${(p * 100).toFixed(1)}%` : `${Math.round(p * 100)}%`;
}

// the position (m) and orientation (rad) error of each configuration in qs against target, in
// one batch call: Float64Array(2 n)
function errorsOf(arm, target, qs) {
  const n = qs.length, m = target.length;
  if (n === 0) return new Float64Array(0);
  const targets = new Float64Array(n * m), q = new Float64Array(n * arm.dof);
  qs.forEach((x, k) => {
    targets.set(target, k * m);
    q.set(x, k * arm.dof);
  });
  return arm.taskErrors(targets, q, n);
}

// the solutions for target: {source: 'clusters' | 'heads' | 'closed-form' | 'none', solutions:
// [{branch, q, probability (heads only), chosen (clusters only), within (the limits),
// positionError (m), orientationError (rad)}]}
export function computeSolutions(arm, wasmBackend, target) {
  let source, found;
  if (wasmBackend && wasmBackend.clusters > 0) {
    // the core has turned each candidate into the limits where whole turns allow
    source = 'clusters';
    found = wasmBackend.predictCandidates(target).map((c) => ({ ...c, within: arm.wrapIntoLimits(c.q).within }));
  } else if (wasmBackend && wasmBackend.branches.length > 0) {
    // heads are trained without the limits: each answer turned into them where whole turns allow
    source = 'heads';
    found = wasmBackend.predictBranches(target).map((h) => {
      const w = arm.wrapIntoLimits(h.q);
      return { branch: h.branch, q: w.q, probability: h.probability, within: w.within };
    });
  } else if (arm.hasAnalyticIk) {
    source = 'closed-form';
    found = arm.ikAnalytic(target).map((s) => ({ branch: s.branch, q: Float64Array.from(s.q), within: true }));
  } else return { source: 'none', solutions: [] };
  const errors = errorsOf(arm, target, found.map((s) => s.q));
  found.forEach((s, k) => {
    s.positionError = errors[2 * k];
    s.orientationError = errors[2 * k + 1];
  });
  return { source, solutions: found };
}

// the panel's list and the ghosts; result as computeSolutions gives it, shown: the joints the
// arm is drawn in (the matching solution is marked), hasRot: the task has an orientation
// noHeads: why there are no network heads to show (e.g. "the model has no branch heads")
export function showSolutions(view, arm, result, { shown, hasRot, armName, noHeads }) {
  const list = $('solutions');
  const { source, solutions } = result;
  const fmtMm = (m) => (m * 1000 < 0.005 ? '< 0.01' : (m * 1000).toFixed(m * 1000 < 10 ? 2 : 1));
  list.replaceChildren();
  list.dataset.count = String(solutions.length);
  list.dataset.source = source;
  // the solution the arm is drawn in: the nearest, when within 0.05 rad (a network's answer is
  // near a branch, not on it)
  let shownIndex = -1, nearest = 0.05;
  solutions.forEach((s, k) => {
    const d = shown ? maxAngleDifference(s.q, shown) : Infinity;
    if (d < nearest) [shownIndex, nearest] = [k, d];
  });
  solutions.forEach((s, k) => {
    const li = document.createElement('li');
    const colour = SOLUTION_COLOURS[k % SOLUTION_COLOURS.length];
    li.dataset.branch = s.branch;
    li.dataset.q = Array.from(s.q).join(',');
    li.dataset.errorMm = String(s.positionError * 1000);
    if (s.probability !== undefined) li.dataset.probability = String(s.probability);
    const isShown = k === shownIndex;
    const swatch = document.createElement('i');
    swatch.style.background = colour;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = branchLabel(s.branch) + (isShown ? ' (shown)' : '') + (s.within ? '' : ' (outside the limits)');
    li.append(swatch, name);
    if (s.probability !== undefined) {
      const prob = document.createElement('b');
      prob.textContent = fmtProbability(s.probability);
      li.append(' ', prob);
    }
    const err = document.createElement('span');
    err.className = 'err';
    err.textContent = `${fmtMm(s.positionError)} mm${hasRot ? ` / ${((s.orientationError * 180) / Math.PI).toFixed(2)}°` : ''}`;
    li.append(err);
    li.classList.toggle('current', isShown);
    li.dataset.shown = isShown ? '1' : '0';
    if (s.chosen !== undefined) li.dataset.chosen = s.chosen ? '1' : '0';
    list.append(li);
  });
  $('solutions-source').textContent = source === 'clusters'
    ? `The clustered model's ${solutions.length} networks, one per k-means cluster of joint configurations: each ` +
      "one's answer and where it really puts the tool (mm from the target); the arm takes the nearest (FK consistency)."
    : source === 'heads'
    ? `The network's ${solutions.length} branch heads: each head's answer, how likely the network thinks its branch is, ` +
      'and where that answer really puts the tool (mm from the target).'
    : source === 'closed-form'
      ? (solutions.length === 0 ? 'No solution: the target is out of reach (or outside the joint limits).'
        : `The core's closed-form solutions within the joint limits: ${solutions.length} for this target` +
          ` (exact; ${noHeads}).`)
      : `${armName} has no closed-form solver and the model no branch heads: nothing to show.`;
  view.setSolutions(solutions.map((s, k) => {
    const colour = SOLUTION_COLOURS[k % SOLUTION_COLOURS.length];
    const label = branchLabel(s.branch) + (s.probability !== undefined ? ` · ${fmtProbability(s.probability)}` : '');
    return { frames: arm.frames(s.q), axes: arm.jointAxes(s.q), colour, label };
  }));
}

// toggled off (or in path mode): no ghosts, an empty list
export function hideSolutions(view, note = '') {
  view.setSolutions([]);
  const list = $('solutions');
  list.replaceChildren();
  list.dataset.count = '0';
  list.dataset.source = 'off';
  $('solutions-source').textContent = note;
}
