// The browser simulator: wires the core (wasm), the backends, the 3D view and the panel.
// One state object; every change of target, arm, model, backend or refine goes through
// solve(), which predicts, refines, classifies, animates the arm and updates the panel and hash.
import { AnalyticBackend, OnnxBackend, WasmBackend, makeTween, maxAngleDifference, tweenAt } from './backends.js';
import { Classroom, Clock } from './classroom.js';
import { ComparePanel } from './compare.js';
import { assetUrl, fetchChecked, loadCore, loadIndex } from './core.js';
import { CLASSES, Classifier, SOURCES, classByName } from './feasibility.js';
import { decodeModel } from './modelcodec.js';
import { ModelLoadError, checkModelSize, fetchModelBytes, inspectModelBytes, otherArmError, progressText, shownUrl } from './remote.js';
import { PathRunner } from './path.js';
import { ReportPanel } from './report.js';
import { SharePanel } from './share.js';
import { SlicePanel } from './slice.js';
import { computeSolutions, hideSolutions, showSolutions } from './solutions.js';
import { formatHash, parseHash, rawModelUrl } from './state.js';
import { View } from './scene.js';

const $ = (id) => document.getElementById(id);

// a configuration per arm that shows it well on first load (radians, within the limits)
const START_Q = {
  planar2: [0.5, 1.1],
  puma3: [0.5, 1.0, -3.0],
  omx4: [0.4, -0.2, 0.5, 0.3],
  kr6: [0.35, -1.4, 1.6, 0.4, 0.9, -0.3],
};

const app = {
  turns: Promise.resolve(),
  NK: null, index: null, view: null,
  armName: null, arm: null, armJson: null, reach: 1,
  target: null, mode: 'ik',
  backendChoice: 'wasm', refine: false, allSolutions: false,
  model: null,            // {kind: 'shipped' | 'url' | 'file' | 'inline', label, url?, data?}
  wasm: null, onnx: null, analytic: null, modelJson: null,
  classifier: null, classifierJson: null,  // the arm's feasibility network and its file's text
  feasibilitySource: 'classifier',  // or 'exact': where the class shown comes from
  modelBytes: null,       // the file as loaded (url, file), for the download buttons
  cameraMoved: false,     // the camera is where a person or a link put it (it goes into the link)
  q: null, qNet: null, qGoal: null,
  tween: null, solving: 0, solveAgain: false,
  gizmoMode: 'translate',
};

// ---- messages --------------------------------------------------------------------------

function showError(message) {
  $('error-text').textContent = message;
  $('error').hidden = false;
}
function clearError() {
  $('error').hidden = true;
}
function showNotice(message) {
  $('notice').textContent = message ?? '';
  $('notice').hidden = !message;
}

// ---- numbers ---------------------------------------------------------------------------

function fmtMm(mm) {
  if (!Number.isFinite(mm)) return '—';
  return mm < 10 ? mm.toFixed(2) : mm < 1000 ? mm.toFixed(1) : mm.toFixed(0);
}
function fmtMs(ms) {
  return ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}
const deg = (rad) => (rad * 180) / Math.PI;

function isPlanar() {
  return app.arm.task === 'planar_xy';
}

// the position part of a task vector as a 3-vector
function positionOf(target) {
  return [target[0], target[1], isPlanar() ? 0 : target[2]];
}

// ---- arm -------------------------------------------------------------------------------

async function setArm(name, { target = null, keepModel = null, armText = null } = {}) {
  // the joints shown are the old arm's until this one's model is loaded and has answered
  $('joints').dataset.ready = '0';
  const text = armText ?? await fetchChecked(assetUrl(`models/arms/${name}.json`));
  const arm = new app.NK.Arm(text);
  app.compare.clear();  // its model is for the old arm
  app.arm?.delete();
  app.arm = arm;
  app.armJson = text;
  app.armName = name;
  // reach: the farthest tool position over seeded joint samples
  const n = 2000;
  const tasks = arm.taskVectors(arm.sample(n, 1), n);
  let reach = 0, zMin = Infinity, zMax = -Infinity;
  for (let i = 0; i < n; ++i) {
    const t = tasks.subarray(i * arm.taskSize, i * arm.taskSize + 3);
    const z = isPlanar() ? 0 : t[2];
    reach = Math.max(reach, Math.hypot(t[0], t[1], z));
    zMin = Math.min(zMin, z);
    zMax = Math.max(zMax, z);
  }
  app.reach = reach;
  app.zRange = [zMin, zMax];
  app.view.setArm(arm.dof, reach, isPlanar());
  app.cameraMoved = false;
  app.analytic = new AnalyticBackend(arm);

  const q0 = clampToLimits(START_Q[name] ?? Array.from(arm.lower(), (lo, i) => (lo + arm.upper()[i]) / 2));
  app.q = Float64Array.from(q0);
  app.qGoal = app.q;
  app.tween = null;  // (one toward the old arm's answer)
  app.target = target ? checkedTarget(target) ?? arm.fk(q0).task : arm.fk(q0).task;
  drawArm(app.q);

  document.querySelectorAll('#arm-picker button').forEach((b) => b.classList.toggle('on', b.dataset.arm === name));
  $('arm-description').textContent = arm.description;
  buildSliders();
  configureGizmo();
  app.slice.configure(arm, app.reach, app.zRange);
  app.path.reset();
  await loadModel(keepModel, { alongside: loadClassifier(name, arm) });
}

// the arm's feasibility classifier (models/ARM/feasibility.json), fetched alongside its ik model;
// when there is none or it cannot load, the page shows the core's exact class and says why
async function loadClassifier(name, arm) {
  app.classifier?.dispose();
  app.classifier = app.classifierJson = null;
  const url = app.index.feasibility?.[name];
  let problem = url ? null : `no feasibility classifier ships for ${name}`;
  if (url) {
    try {
      const text = await fetchChecked(assetUrl(url));
      if (arm !== app.arm) return;  // another arm was picked meanwhile
      app.classifier = new Classifier(app.NK, text, arm);
      app.classifierJson = text;
    } catch (e) {
      problem = `the classifier ${url} did not load: ${e.message}`;
    }
  }
  $('feasibility-note').textContent = problem
    ? `${problem[0].toUpperCase()}${problem.slice(1)}. The class shown is the core's exact one (IK + conditioning).` : '';
  $('feasibility-note').hidden = !problem;
  $('feasibility-source').querySelector('[data-source=classifier]').disabled = !app.classifier;
}

// a target from the hash, checked by the core; null (and a message) when it is not valid
function checkedTarget(values) {
  const t = Float64Array.from(values);
  if (t.length !== app.arm.taskSize) {
    showError(`target: ${app.arm.name} takes ${app.arm.taskSize} values (${app.arm.task}), got ${t.length}`);
    return null;
  }
  if (app.arm.task === 'pose') {
    // a quaternion typed by hand is rarely exactly unit: normalise it, refuse a zero one
    const n = Math.hypot(t[3], t[4], t[5], t[6]);
    if (!(n > 1e-9)) {
      showError('target: the quaternion (qx, qy, qz, qw) is zero');
      return null;
    }
    for (let i = 3; i < 7; ++i) t[i] /= n;
  }
  try {
    app.arm.classifyPose(t, { starts: 1 });  // the core checks sizes and values
  } catch (e) {
    showError(e.message);
    return null;
  }
  return t;
}

function clampToLimits(q) {
  const lo = app.arm.lower(), hi = app.arm.upper();
  return Float64Array.from(q, (v, i) => Math.min(hi[i], Math.max(lo[i], v)));
}

function drawArm(q, meshes = app.view.arm) {
  app.view.setPose(meshes, app.arm.frames(q), app.arm.jointAxes(q));
}

// ---- models and backends -----------------------------------------------------------------

function disposeBackends() {
  app.wasm?.dispose();
  app.onnx?.dispose();
  app.wasm = app.onnx = app.modelJson = null;
}

// source: null (the arm's shipped model), {url, bytes?}, {file: File} or {inline: modeldata};
// alongside: a promise (the classifier's loading) to wait for before the first answer
async function loadModel(source, { alongside = null } = {}) {
  disposeBackends();
  app.model = null;
  const shipped = app.index.models[app.armName];
  try {
    if (source?.url) await loadModelFromUrl(source.url, source.bytes);
    else if (source?.file) {
      checkModelSize(source.file.size, source.file.name);
      await loadModelFrom(source.file.name, await source.file.arrayBuffer(), { kind: 'file' });
    }
    else if (source?.inline) {
      await loadModelFrom(`${app.armName}-ik.json`, new TextEncoder().encode(source.inline.text), { kind: 'inline', data: source.inline.data });
      app.model.label = `${app.armName}/ik from the link (float16 weights)`;
    }
  } catch (e) {
    const instead = `Using ${shipped?.json ? 'the shipped model' : 'the core\'s IK'} instead.`;
    showError(e instanceof ModelLoadError ? `${e.message} ${instead}` : `model ${source.url ?? source.file?.name ?? 'from the link'}: ${e.message}. ${instead}`);
    disposeBackends();
    app.model = null;
  }
  $('model-progress').hidden = true;
  if (!app.model && shipped?.json) {
    const text = await fetchChecked(assetUrl(shipped.json));
    app.modelBytes = null;
    app.wasm = new WasmBackend(app.NK, text, app.arm, `shipped ${app.armName}/ik`);
    app.modelJson = text;
    app.model = { kind: 'shipped', label: `${app.armName}/ik (shipped)` };
  }
  if (!app.model) showNotice(`No trained model ships for ${app.armName} yet: the arm follows the core's closed-form IK, not a network.`);
  else showNotice(null);
  if (app.backendChoice === 'onnx') await ensureOnnx();
  describeModel();
  await alongside;
  app.slice.setModel(app.armJson, app.modelJson, app.classifierJson);
  app.report.setModels(app.modelJson ? { text: app.modelJson, label: app.model.label } : app.model ? { text: '{}', label: app.model.label } : null,
    app.classifierJson ? { text: app.classifierJson, label: `${app.armName}/feasibility (shipped)` } : null);
  await solve();
}

// a model= URL (GitHub and similar page links rewritten to the file): progress while it
// arrives, then a check that it is a model, and one for this arm (ModelLoadError otherwise)
async function fetchModel(url) {
  const progress = $('model-progress');
  progress.hidden = false;
  const name = shownUrl(url);
  progress.textContent = `loading the model from ${name}…`;
  const bytes = await fetchModelBytes(url, (got, total) => {
    progress.textContent = `loading the model from ${name}: ${progressText(got, total)}`;
  });
  return { bytes, info: inspectModelBytes(bytes, shownUrl(new URL(url, document.baseURI).href)) };
}

async function loadModelFromUrl(given, fetched = null) {
  const url = rawModelUrl(given), href = shownUrl(new URL(url, document.baseURI).href);
  const { bytes, info } = fetched ?? await fetchModel(url);
  if (info.type === 'json' && info.arm && info.arm !== app.armName) throw otherArmError(href, info.arm, app.armName);
  try {
    await loadModelFrom(url, bytes, { kind: 'url', url });
  } catch (e) {
    // sizes that do not fit this arm (an .onnx file names no arm); anything else the core refused
    if (/needs \d+ \(/.test(e.message)) throw new ModelLoadError('other-arm', `model for another arm: ${href}: ${e.message}`);
    throw new ModelLoadError('not-a-model', `not a model: ${href}: ${e.message}`);
  }
  if (url !== given.trim()) app.model.note = `(${given} is a web page; its file is ${url})`;
}

async function loadModelFrom(name, bytes, model) {
  const u8 = new Uint8Array(bytes);
  app.modelBytes = u8;
  // ONNX files are protobuf; our models are JSON text (first non-space byte '{')
  const firstByte = u8.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (/\.onnx$/i.test(name) || (firstByte !== undefined && firstByte !== 0x7b)) {
    app.onnx = await OnnxBackend.create(bytes, app.arm, name);
    app.backendChoice = 'onnx';
  } else {
    const text = new TextDecoder().decode(u8);
    app.wasm = new WasmBackend(app.NK, text, app.arm, name);
    app.modelJson = text;
    if (app.backendChoice === 'onnx' && !app.onnx) app.backendChoice = 'wasm';
  }
  // a data: URL has no file name (and its base64 may hold slashes)
  app.model = { ...model, label: /^data:/i.test(name) ? `a data: URL (${Math.round(u8.length / 1024)} KB)` : name.split('/').pop() };
}

// ONNX Runtime and the ONNX model, loaded the first time the ONNX backend is chosen
async function ensureOnnx() {
  if (app.onnx) return true;
  const shipped = app.index.models[app.armName];
  if (app.model?.kind !== 'shipped' || !shipped?.onnx) {
    showError(app.model ? `no ONNX file for this model (${app.model.label}): the ONNX backend needs a .onnx model; staying on the wasm core`
                        : `no ONNX model ships for ${app.armName}: staying on the core`);
    app.backendChoice = 'wasm';
    return false;
  }
  $('time-onnx').textContent = 'loading ONNX Runtime…';
  try {
    const bytes = await fetchChecked(assetUrl(shipped.onnx), 'bytes');
    app.onnx = await OnnxBackend.create(bytes, app.arm, `${app.armName}/ik.onnx`);
    return true;
  } catch (e) {
    showError(`ONNX Runtime: ${e.message}; staying on the wasm core`);
    app.backendChoice = 'wasm';
    $('time-onnx').textContent = 'failed';
    return false;
  }
}

function activeBackend() {
  if (app.backendChoice === 'onnx' && app.onnx) return app.onnx;
  return app.wasm ?? app.onnx ?? app.analytic;
}

function describeModel() {
  const m = app.model;
  $('model-name').textContent = m ? `Model: ${m.label}${m.note ? ` ${m.note}` : ''}` : 'Model: none (closed-form IK)';
  document.querySelectorAll('#backend-picker button').forEach((b) => {
    b.classList.toggle('on', b.dataset.backend === app.backendChoice);
    b.disabled = b.dataset.backend === 'wasm' ? !app.wasm && !!app.model : false;
  });
  app.share.update();
}

// ---- turns -------------------------------------------------------------------------------

// the page's transitions (a link applied, an arm chosen, a model loaded or reset) run one at a
// time, each to its end: one started while another awaits its fetches would otherwise dispose
// the backends and arm the other is still using
// (a transition that throws shows its message; the next one still runs)
function inTurn(transition) {
  app.turns = app.turns.then(transition).catch((e) => showError(e.message));
  return app.turns;
}

// ---- solving -------------------------------------------------------------------------------

// predict (and refine) for the current target; overlapping calls collapse into one more run
async function solve() {
  if (app.solving) {
    app.solveAgain = true;
    return;
  }
  app.solving = 1;
  const joints = $('joints');
  joints.dataset.ready = '0';
  try {
    let failed = null, answered = false;
    do {
      app.solveAgain = false;
      try {
        answered = await solveOnce();
        failed = null;
      } catch (e) {
        // (a failure in a run that a newer request overtook is not shown: that run answers)
        failed = e;
        answered = false;
      }
    } while (app.solveAgain);
    if (failed) showError(failed.message);
    else if (answered) joints.dataset.ready = '1';
  } finally {
    app.solving = 0;
  }
}

// false when the arm or backend changed while the prediction ran: the transition that changed
// them solves again once it is done, so this run shows nothing
async function solveOnce() {
  const arm = app.arm, target = app.target;
  const backend = activeBackend();
  const overtaken = () => app.arm !== arm || activeBackend() !== backend;
  if (backend === app.analytic) app.analytic.current = app.q;
  let raw;
  try {
    raw = Float64Array.from(await backend.predict(target));
  } catch (e) {
    if (overtaken()) return false;
    throw e;
  }
  if (overtaken()) return false;
  if (raw.length !== arm.dof || raw.some((v) => !Number.isFinite(v)))
    throw new Error(`the model gave ${raw.length} values (${Array.from(raw).join(', ')}); expected ${arm.dof} finite joint angles`);
  // the same pose with every joint inside its limits where whole turns allow
  const wrapped = arm.wrapIntoLimits(raw);
  const qNet = wrapped.q;
  app.qNet = qNet;
  const [netPos, netRot] = arm.taskErrors(target, qNet, 1);
  let shown = qNet, pos = netPos, rot = netRot, refined = null;
  if (app.refine) {
    refined = arm.refine(target, qNet);
    shown = refined.q;
    pos = refined.positionError;
    rot = refined.orientationError;
  }

  // the arm: FK mode shows the sliders' configuration; otherwise animate to the answer
  if (app.mode === 'fk') shown = app.q;
  else animateTo(shown);
  app.qGoal = shown;

  // the network's answer: ghost arm when something else is shown, tool marker always
  const fkNet = arm.fk(qNet);
  app.view.setTargetPose(positionOf(target), targetQuaternion(target));
  app.view.setToolMarker(fkNet.position);
  // (hidden when it would coincide with the arm: the two would blend into one muddy colour)
  app.view.ghost.visible = (app.refine || app.mode === 'fk') && maxAngleDifference(qNet, shown) > 0.02;
  if (app.view.ghost.group.visible) drawArm(qNet, app.view.ghost);

  // panel
  const hasRot = arm.task === 'pose' || arm.task === 'position_pitch';
  if (app.mode === 'fk') [pos, rot] = arm.taskErrors(target, qNet, 1);
  $('tool-error-mm').textContent = fmtMm(pos * 1000);
  $('tool-error-deg').textContent = hasRot ? `${deg(rot).toFixed(2)}°` : '';
  $('error-caption').textContent = app.refine && app.mode !== 'fk'
    ? 'after refinement: target to where the refined joints put the tool'
    : `target to where ${backend === app.analytic ? 'the closed-form answer' : 'the network\'s answer'} puts the tool`;
  $('refine-text').textContent = (refined
    ? `network alone: ${fmtMm(netPos * 1000)} mm${hasRot ? ` / ${deg(netRot).toFixed(2)}°` : ''} → refined in ${refined.iterations} iteration${refined.iterations === 1 ? '' : 's'}: ${refined.status.replace('_', ' ')}`
    : '') + (wrapped.within ? '' : ' The network\'s answer is outside the joint limits.');
  showFeasibility(target);
  $('joints').textContent = Array.from(shown, (v) => v.toFixed(6)).join(',');
  $('target-text').textContent = describeTarget(target);
  $('backend').textContent = backend.kind === 'analytic' ? 'core-ik' : backend.kind;
  $('backend').title = backend.label;
  updateSliders(shown);
  updateSolutions(shown);
  app.compare.update(target);
  writeHash();
  scheduleMeasure();
  app.slice.request(target);
  return true;
}

// the target's class from the source chosen (the classifier, or the core's exact class: the
// best-conditioned IK solution within the limits), on the badge, the legend and the target marker;
// where the two differ, a note says what each says
function showFeasibility(target) {
  const exact = app.arm.classifyPose(target);
  const net = app.classifier?.classifyOne(target) ?? null;
  const source = net && app.feasibilitySource === 'classifier' ? 'classifier' : 'exact';
  const shown = source === 'classifier' ? net : exact;
  const cls = classByName(shown.class);
  document.querySelectorAll('#feasibility-source button').forEach((b) => b.classList.toggle('on', b.dataset.source === source));
  const badge = $('feasibility');
  badge.textContent = shown.class;
  badge.dataset.source = source;
  badge.style.background = cls.colour;
  const sureness = (f) => (f.probability > 0.999 ? '> 99.9% sure' : `${(100 * f.probability).toFixed(f.probability > 0.99 ? 1 : 0)}% sure`);
  const conditioning = (f) => (f.classIndex > 0 ? `σmin/σmax = ${f.inverseCondition.toFixed(3)}` : 'no solution within the limits');
  $('feasibility-detail').textContent = source === 'classifier' ? sureness(net) : conditioning(exact);
  const differ = $('feasibility-differ');
  differ.hidden = !net || net.classIndex === exact.classIndex;
  differ.dataset.classifier = net?.class ?? '';
  differ.dataset.exact = exact.class;
  if (!differ.hidden)
    differ.textContent = `They disagree here: ${SOURCES.classifier} says ${classByName(net.class).label.toLowerCase()} (${sureness(net)}); ` +
      `${SOURCES.exact} finds ${classByName(exact.class).label.toLowerCase()} (${conditioning(exact)}).`;
  document.querySelectorAll('#legend li').forEach((li) => li.classList.toggle('current', li.dataset.cls === cls.name));
  app.view.setTargetColour(cls.colour);
}

function chooseFeasibilitySource(source) {
  app.feasibilitySource = source;
  showFeasibility(app.target);
  app.slice.request(app.target);
  writeHash();
}

function targetQuaternion(target) {
  if (app.arm.task === 'pose') return [target[3], target[4], target[5], target[6]];
  if (app.arm.task === 'position_pitch') {
    // pitch about the base-yawed y axis: yaw = atan2(y, x), then pitch
    const yaw = Math.atan2(target[1], target[0]), p = target[3];
    const qy = [Math.cos(yaw / 2), Math.sin(yaw / 2)], qp = [Math.cos(p / 2), Math.sin(p / 2)];
    // q = Rz(yaw) * Ry(pitch)
    return [-qy[1] * qp[1], qy[0] * qp[1], qy[1] * qp[0], qy[0] * qp[0]];
  }
  return null;
}

function describeTarget(t) {
  const p = `x ${t[0].toFixed(3)}  y ${t[1].toFixed(3)}` + (isPlanar() ? '' : `  z ${t[2].toFixed(3)}`) + ' m';
  if (app.arm.task === 'position_pitch') return `${p}, pitch ${deg(t[3]).toFixed(1)}°`;
  if (app.arm.task === 'pose') return `${p}, q (${Array.from(t.subarray(3), (v) => v.toFixed(3)).join(', ')})`;
  return p;
}

// every solution of the target as ghosts (the network's heads, else the closed form), or none
function updateSolutions(shown = app.qGoal) {
  if (!app.allSolutions) hideSolutions(app.view);
  else if (app.mode === 'path') hideSolutions(app.view, 'Not drawn in path mode: the target moves every frame.');
  else {
    const hasRot = app.arm.task === 'pose' || app.arm.task === 'position_pitch';
    const noHeads = app.wasm ? 'the model has no branch heads'
      : app.onnx ? 'an .onnx file gives one answer; every head\'s needs the .json model' : 'no network is loaded';
    showSolutions(app.view, app.arm, computeSolutions(app.arm, app.wasm, app.target),
                  { shown, hasRot, armName: app.armName, noHeads });
  }
  $('solutions-box').hidden = !app.allSolutions;
}

// ---- animation -------------------------------------------------------------------------------

function animateTo(q) {
  app.tween = makeTween(app.q, q, app.clock.now);
}

function stepAnimation(now) {
  if (!app.tween) return;
  const { q, done } = tweenAt(app.tween, now);
  app.q = q;
  drawArm(app.q);
  if (done) app.tween = null;
}

// ---- timing and agreement -----------------------------------------------------------------

let measureTimer = 0;
function scheduleMeasure() {
  clearTimeout(measureTimer);
  measureTimer = setTimeout(measure, 350);
}

async function measure() {
  if (app.mode === 'path' || app.view.dragging) return;
  // timing busies the main thread for tens of ms: never while the arm is animating
  if (app.tween) {
    scheduleMeasure();
    return;
  }
  // the page may switch arm, model or target while this awaits: then its numbers are stale
  const { arm, wasm, onnx, analytic, model, target } = app;
  const stale = () => arm !== app.arm || wasm !== app.wasm || onnx !== app.onnx || target !== app.target;
  try {
    const tWasm = wasm ? await wasm.time(target) : model ? null : await analytic.time(target);
    if (stale()) return;
    $('time-wasm').textContent = wasm ? `${fmtMs(tWasm)} / prediction` : model ? 'no JSON model' : `${fmtMs(tWasm)} (closed form)`;
    if (onnx) {
      const tOnnx = await onnx.time(target);
      if (stale()) return;
      $('time-onnx').textContent = `${fmtMs(tOnnx)} / prediction`;
    }
    if (wasm && onnx) {
      const a = wasm.predict(target), b = await onnx.predict(target);
      if (stale()) return;
      const [pa] = arm.taskErrors(target, a, 1), [pb] = arm.taskErrors(target, b, 1);
      $('agreement').textContent = `max |Δq| ${maxAngleDifference(a, b).toExponential(1)} rad, Δerror ${fmtMm(Math.abs(pa - pb) * 1000)} mm`;
    } else $('agreement').textContent = onnx || wasm ? 'one backend loaded' : '—';
  } catch (e) {
    if (!stale()) showError(`timing the backends: ${e.message}`);
  }
}

// ---- panel controls ----------------------------------------------------------------------------

function buildSliders() {
  const box = $('sliders');
  box.replaceChildren();
  const lo = app.arm.lower(), hi = app.arm.upper();
  app.arm.jointNames.forEach((name, i) => {
    const row = document.createElement('label');
    row.className = 'slider';
    // the joint's name comes from the arm file (a model or a link may carry its own): text only
    const label = document.createElement('span');
    label.textContent = name;
    label.title = name;  // a long name is cut short on the panel
    const input = document.createElement('input');
    input.type = 'range';
    input.step = 'any';
    input.dataset.testid = `slider-${i}`;
    row.append(label, input, document.createElement('span'));
    input.min = lo[i];
    input.max = hi[i];
    input.addEventListener('input', () => {
      if (app.mode !== 'fk') return;
      const q = Float64Array.from(box.querySelectorAll('input'), (el) => Number(el.value));
      app.tween = null;
      app.q = q;
      drawArm(q);
      app.target = app.arm.fk(q).task;
      solve();
    });
    box.append(row);
  });
  updateSliders(app.q);
}

function updateSliders(q) {
  const inputs = $('sliders').querySelectorAll('input');
  const labels = $('sliders').querySelectorAll('span:last-child');
  inputs.forEach((el, i) => {
    el.disabled = app.mode !== 'fk';
    if (app.mode !== 'fk') el.value = q[i];
    labels[i].textContent = `${deg(app.mode === 'fk' ? Number(el.value) : q[i]).toFixed(1)}°`;
  });
}

function configureGizmo() {
  const g = app.view.gizmo, task = app.arm.task;
  const canRotate = task === 'pose';
  if (!canRotate) app.gizmoMode = 'translate';
  g.setMode(app.gizmoMode);
  g.setSpace(app.gizmoMode === 'rotate' ? 'local' : 'world');
  g.showZ = !isPlanar();
  g.enabled = app.mode === 'ik';
  g.getHelper().visible = app.mode === 'ik';
  $('gizmo-rotate').hidden = !canRotate;
  $('gizmo-translate').hidden = !canRotate;
  $('gizmo-translate').classList.toggle('on', app.gizmoMode === 'translate');
  $('gizmo-rotate').classList.toggle('on', app.gizmoMode === 'rotate');
  $('pitch-row').hidden = task !== 'position_pitch';
  app.view.targetAxes.visible = task === 'pose' || task === 'position_pitch';
  if (task === 'position_pitch') {
    $('pitch').value = Math.round(deg(app.target[3]));
    $('pitch-value').textContent = `${$('pitch').value}°`;
  }
}

// the gizmo moved the target object: its pose becomes the task vector
function targetFromGizmo() {
  const o = app.view.target;
  const t = Float64Array.from(app.target);
  t[0] = o.position.x;
  t[1] = o.position.y;
  if (!isPlanar()) t[2] = o.position.z;
  if (app.arm.task === 'pose') {
    const q = o.quaternion.clone().normalize();
    const s = q.w < 0 ? -1 : 1;  // w >= 0, the core's convention
    t.set([s * q.x, s * q.y, s * q.z, s * q.w], 3);
  }
  if (isPlanar()) o.position.z = 0;
  app.target = t;
  solve();
}

function setMode(mode) {
  app.mode = mode;
  document.querySelectorAll('#mode-picker button').forEach((b) => b.classList.toggle('on', b.dataset.mode === mode));
  $('path-tools').hidden = mode !== 'path';
  $('gizmo-tools').hidden = mode !== 'ik';
  $('hud').textContent = mode === 'ik' ? 'drag the gizmo · orbit: left mouse · pan: right mouse · zoom: wheel'
    : mode === 'fk' ? 'move the joint sliders: the blue ghost is the network\'s answer for the tool pose'
    : 'the tool follows the path; the coloured line is where it really went';
  configureGizmo();
  if (mode === 'path') {
    app.view.ghost.visible = false;  // FK mode's ghost (the network's answer) answers no path frame
    app.path.start(app.target);
    updateSolutions();
  }
  else {
    app.path.stop();
    solve();
  }
  updateSliders(app.q);
}

function buildPanel() {
  const picker = $('arm-picker');
  for (const name of app.index.arms) {
    const b = document.createElement('button');
    b.textContent = name;
    b.dataset.arm = name;
    b.dataset.testid = `arm-${name}`;
    b.addEventListener('click', () => inTurn(() => switchArm(name)));
    picker.append(b);
  }
  const legend = $('legend');
  for (const c of CLASSES) {
    const li = document.createElement('li');
    li.dataset.cls = c.name;
    const swatch = document.createElement('i');
    swatch.style.background = c.colour;
    const text = document.createElement('span');
    const label = document.createElement('b');
    label.textContent = `${c.label}.`;
    text.append(label, ` ${c.text}`);
    li.append(swatch, text);
    legend.append(li);
  }
  document.querySelectorAll('#mode-picker button').forEach((b) => b.addEventListener('click', () => setMode(b.dataset.mode)));
  document.querySelectorAll('#backend-picker button').forEach((b) => b.addEventListener('click', () => chooseBackend(b.dataset.backend)));
  document.querySelectorAll('#feasibility-source button').forEach((b) => b.addEventListener('click', () => chooseFeasibilitySource(b.dataset.source)));
  $('gizmo-translate').addEventListener('click', () => { app.gizmoMode = 'translate'; configureGizmo(); });
  $('gizmo-rotate').addEventListener('click', () => { app.gizmoMode = 'rotate'; configureGizmo(); });
  $('pitch').addEventListener('input', () => {
    $('pitch-value').textContent = `${$('pitch').value}°`;
    app.target = Float64Array.from(app.target);
    app.target[3] = (Number($('pitch').value) * Math.PI) / 180;
    solve();
  });
  $('refine').addEventListener('change', () => { app.refine = $('refine').checked; solve(); });
  $('all-solutions').addEventListener('change', () => {
    app.allSolutions = $('all-solutions').checked;
    updateSolutions();
    writeHash();
  });
  $('error-close').addEventListener('click', clearError);
  $('file').addEventListener('change', () => {
    const f = $('file').files[0];
    if (f) inTurn(() => loadModel({ file: f }));
    $('file').value = '';
  });
  $('reset-model').addEventListener('click', () => { clearError(); inTurn(() => loadModel(null)); });

  // dropping a model file anywhere
  let depth = 0;
  window.addEventListener('dragenter', (e) => { e.preventDefault(); ++depth; $('drop-hint').hidden = false; });
  window.addEventListener('dragleave', () => { if (--depth <= 0) $('drop-hint').hidden = true; });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    $('drop-hint').hidden = true;
    const f = e.dataTransfer?.files?.[0];
    if (f) inTurn(() => loadModel({ file: f }));
  });

  app.view.gizmo.addEventListener('objectChange', targetFromGizmo);
  window.addEventListener('hashchange', () => {
    // the hash as it is now: a transition still running may rewrite it before this one's turn
    const hash = location.hash;
    if (hash !== app.lastHash) inTurn(() => applyHash(hash));
  });
}

async function switchArm(name) {
  clearError();
  await setArm(name);
}

async function chooseBackend(name) {
  app.backendChoice = name;
  if (name === 'onnx') await ensureOnnx();
  describeModel();
  await solve();
}

// ---- the URL hash ------------------------------------------------------------------------------

// everything a link reopens (state.js); the model as the page holds it: by reference for a URL,
// inline for a model that came inside the link, none for the shipped one or a file
function viewState() {
  const v = app.view, path = app.path;
  return {
    arm: app.armName, target: app.target, backend: app.backendChoice, refine: app.refine, allSolutions: app.allSolutions,
    mode: app.mode, q: app.mode === 'fk' ? app.q : null, feasibility: app.feasibilitySource, pathSolver: path.solver,
    path: path.kind, radius: Number($('path-radius').value), points: path.points,
    camera: app.cameraMoved ? [...v.camera.position.toArray(), ...v.orbit.target.toArray()] : null,
    model: app.model?.kind === 'url' ? app.model.url : null,
    modelData: app.model?.kind === 'inline' ? app.model.data : null,
    ...app.compare.linkState(),
    ...app.classroom.linkState(),
  };
}

function writeHash() {
  const hash = formatHash(viewState());
  if (hash !== location.hash) {
    app.lastHash = hash;
    history.replaceState(null, '', hash);
  }
}

// an inline model from the link: its text and its arm (it carries its own, so no fetch)
function inlineModel(data) {
  const text = decodeModel(data);
  const arm = JSON.parse(text).arm;
  return { data, text, armName: arm?.name, armText: JSON.stringify(arm) };
}

async function applyHash(hash = location.hash) {
  const { state, problems } = parseHash(hash, app.index.offline ? null : app.index.arms);
  if (problems.length) showError(`link: ${problems.join('; ')}`);
  app.refine = state.refine ?? false;
  $('refine').checked = app.refine;
  app.allSolutions = state.allSolutions ?? false;
  $('all-solutions').checked = app.allSolutions;
  app.backendChoice = state.backend ?? 'wasm';
  app.feasibilitySource = state.feasibility ?? 'classifier';
  app.classroom.apply(state);
  let keepModel = state.model ? { url: state.model } : null, armText = null, armName = state.arm;
  if (state.modelData) {
    try {
      const inline = inlineModel(state.modelData);
      if (armName && inline.armName !== armName) throw otherArmError('the model in this link', inline.armName, armName);
      armName = inline.armName;
      if (!app.index.arms.includes(armName)) app.index.arms.push(armName);
      armText = inline.armText;
      keepModel = { inline };
    } catch (e) {
      showError(e instanceof ModelLoadError ? e.message : `the model in this link cannot be read: ${e.message}`);
    }
  } else if (state.model && !state.arm) {
    // a link with a model and no arm: the model's arm
    try {
      const fetched = await fetchModel(rawModelUrl(state.model));
      armName = fetched.info.arm ?? undefined;
      keepModel.bytes = fetched;
    } catch (e) {
      showError(e.message);
      keepModel = null;
      $('model-progress').hidden = true;
    }
  }
  await setArm(armName ?? app.armName ?? 'puma3', { target: state.target, keepModel, armText });
  if (state.path) app.path.choose(state.path);
  if (state.radius) {
    $('path-radius').value = state.radius;
    app.path.radiusSet = true;
  }
  if (state.points) app.path.points = state.points;
  if ((state.pathSolver ?? 'model') !== app.path.solver) await app.path.chooseSolver(state.pathSolver ?? 'model');
  if (state.mode === 'fk' && state.q) {
    if (state.q.length === app.arm.dof) {
      app.q = clampToLimits(state.q);
      app.tween = null;
      app.target = app.arm.fk(app.q).task;
      drawArm(app.q);
    } else showError(`link: q: ${app.armName} has ${app.arm.dof} joints, got ${state.q.length} values`);
  }
  if ((state.mode ?? 'ik') !== app.mode) setMode(state.mode ?? 'ik');
  else if (state.mode === 'path') app.path.rebuild();
  if (state.camera) {
    const c = state.camera;
    app.view.camera.position.set(c[0], c[1], c[2]);
    app.view.orbit.target.set(c[3], c[4], c[5]);
    app.view.orbit.update();
    app.cameraMoved = true;
  }
  await app.compare.apply(state);
  if (state.tour) app.classroom.tour.open(state.tour);
  writeHash();
}

// ---- start ---------------------------------------------------------------------------------------

async function main() {
  try {
    app.view = new View($('stage'));
  } catch (e) {
    showError(`cannot draw in 3D here (WebGL): ${e.message}`);
    return;
  }
  const [core, index] = await Promise.allSettled([loadCore(), loadIndex()]);
  if (core.status === 'rejected') {
    showError(`cannot start: ${core.reason.message}`);
    return;
  }
  app.NK = core.value;
  if (index.status === 'fulfilled') app.index = index.value;
  else {
    // offline (or the site's models are gone): a model inside the link still works
    app.index = { arms: [], models: {}, offline: true };
    if (!/modeldata=/.test(location.hash)) showError(`cannot load the list of arms and models: ${index.reason.message}`);
  }
  app.slice = new SlicePanel(app, assetUrl('wasm/neurokin.js'));
  app.path = new PathRunner(app, {
    drawArm, activeBackend, positionOf, fmtMm, describeTarget, updateSliders, writeHash, showError,
    fetchText: (url) => fetchChecked(assetUrl(url)),
  });
  app.clock = new Clock();
  app.classroom = new Classroom(app, { setMode, writeHash, solve, updateSolutions });
  app.compare = new ComparePanel(app, { drawArm, showError, fmtMm, writeHash, fetchModel });
  app.share = new SharePanel(app, { viewState, showError });
  app.report = new ReportPanel();
  buildPanel();
  // a camera moved by a person belongs in the link
  // (written once it comes to rest: the orbit's damping moves it on after the mouse lets go)
  let cameraTimer = 0;
  app.view.orbit.addEventListener('start', () => { app.cameraMoved = true; });
  app.view.orbit.addEventListener('change', () => {
    if (!app.cameraMoved) return;
    clearTimeout(cameraTimer);
    cameraTimer = setTimeout(writeHash, 250);
  });
  await inTurn(() => applyHash());

  // each frame: our own work (path, animation), then three.js; with app.frameLog set to an array
  // (bench/page_frames.mjs) each frame appends its time stamp, both durations (ms) and whether
  // the arm was moving (1) or still (0)
  const frame = (now) => {
    const t0 = performance.now();
    const sim = app.clock.tick(now);  // the animations' time: paused, stepped or sped up
    app.path.step(sim);
    stepAnimation(sim);
    app.compare.step(sim);
    const t1 = performance.now();
    app.view.render();
    app.frameLog?.push(now, t1 - t0, performance.now() - t1, app.tween || app.mode === 'path' ? 1 : 0);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  window.neurokin = app;  // for the console and the browser tests
}

main();
