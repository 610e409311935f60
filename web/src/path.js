// Path mode (seed 001's focus path, seed 004's click-to-target): the target runs along a circle
// or a closed sequence of clicked points; every frame the backend predicts the joints (refined
// when refine is on), the arm is set there, and the tool's real position is traced and
// coloured by its error. A strip chart in the panel plots the error over the last lap.
// Where the arm ships a trajectory model (ARM/ik-trajectory.json, seed 004), it can be the
// solver instead: each frame the wasm core steps it from the arm's current joints towards the
// target (Model.step), so the arm stays on the branch it is on where the stateless model answers
// each point on its own branch and may flip. The largest joint change of a frame is shown.
import { maxAngleDifference } from './backends.js';
import { CLASSES, errorColour } from './feasibility.js';

const $ = (id) => document.getElementById(id);
const LAP_SECONDS = 8;
const TRACE_POINTS = 480;
// metres a trajectory step moves the target at most (neurokin track's default: the model was
// trained on steps of this order)
const MAX_STEP_M = 0.05;

export class PathRunner {
  constructor(app, hooks) {
    this.app = app;
    this.hooks = hooks;
    this.kind = 'circle';
    this.points = [];
    this.running = false;
    this.paused = false;
    this.busy = false;
    this.trace = [];
    this.solver = 'model';     // 'model' (the page's backend) or 'trajectory'
    this.trajectory = null;    // {arm, model}: the arm's trajectory model on the core, once loaded
    this.maxJump = 0;          // rad, the largest joint change of one frame since the path (re)started
    document.querySelectorAll('#path-solver button').forEach((b) => b.addEventListener('click', () => this.chooseSolver(b.dataset.solver)));
    document.querySelectorAll('#path-picker button').forEach((b) => b.addEventListener('click', () => this.choose(b.dataset.path)));
    $('path-radius').addEventListener('input', () => this.rebuild());
    $('path-play').addEventListener('click', () => {
      this.paused = !this.paused;
      $('path-play').textContent = this.paused ? 'Play' : 'Pause';
    });
    $('path-clear').addEventListener('click', () => {
      this.points = [];
      this.rebuild();
    });
    // a click (not an orbit drag) on the canvas adds a point on the plane through the centre
    const canvas = app.view.renderer.domElement;
    canvas.addEventListener('pointerdown', (e) => (this.down = [e.clientX, e.clientY]));
    canvas.addEventListener('pointerup', (e) => {
      if (!this.running || this.kind !== 'points' || !this.down) return;
      if (Math.hypot(e.clientX - this.down[0], e.clientY - this.down[1]) > 4) return;
      const p = app.view.pick(e, this.centre, [0, 0, 1]);
      if (p) {
        this.points.push(p);
        this.rebuild();
      }
    });
  }

  // 'circle' or 'points'
  choose(kind) {
    this.kind = kind;
    document.querySelectorAll('#path-picker button').forEach((x) => x.classList.toggle('on', x.dataset.path === kind));
    this.rebuild();
  }

  // the path's solver: 'trajectory' loads the arm's trajectory model first (and falls back to
  // 'model', saying why, when it cannot); the measured figures start again
  async chooseSolver(name) {
    if (name === 'trajectory') {
      try {
        await this.loadTrajectory();
      } catch (e) {
        this.hooks.showError(`trajectory model: ${e.message}; the path stays on the IK model`);
        name = 'model';
      }
    }
    this.solver = name;
    document.querySelectorAll('#path-solver button').forEach((b) => b.classList.toggle('on', b.dataset.solver === name));
    this.trace = [];
    this.maxJump = 0;
    this.hooks.writeHash();
  }

  async loadTrajectory() {
    const name = this.app.armName, url = this.app.index.trajectory?.[name];
    if (this.trajectory?.arm === name) return;
    if (!url) throw new Error(`none ships for ${name}`);
    const text = await this.hooks.fetchText(url);
    if (this.app.armName !== name) throw new Error(`the arm changed to ${this.app.armName} while it loaded`);
    const model = new this.app.NK.Model(text);
    const modelArm = model.arm(), armName = modelArm.name;
    modelArm.delete();
    if (model.kind !== 'trajectory' || armName !== name) {
      model.delete();
      throw new Error(`${url} is a ${model.kind} model of ${armName}, expected a trajectory model of ${name}`);
    }
    this.disposeTrajectory();
    this.trajectory = { arm: name, model };
  }

  disposeTrajectory() {
    this.trajectory?.model.delete();
    this.trajectory = null;
  }

  // the solver picker where the arm has a trajectory model; another arm's is let go
  configureSolver() {
    const has = !!this.app.index.trajectory?.[this.app.armName];
    $('path-solver').hidden = !has;
    if (this.trajectory && this.trajectory.arm !== this.app.armName) this.disposeTrajectory();
    if (!has && this.solver !== 'model') this.chooseSolver('model');
    else if (has && this.solver === 'trajectory' && !this.trajectory) this.chooseSolver('trajectory');
  }

  start(target) {
    this.configureSolver();
    const t = Array.from(target);
    this.centre = this.hooks.positionOf(t);
    this.rest = t.slice(this.app.arm.task === 'planar_xy' ? 2 : 3);
    const r = $('path-radius');
    r.max = (this.app.reach * 0.6).toFixed(2);
    r.min = (this.app.reach * 0.02).toFixed(3);
    r.step = (this.app.reach / 200).toFixed(4);
    if (!this.radiusSet) r.value = this.reachableRadius().toFixed(3);
    this.radiusSet = true;
    this.running = true;
    this.paused = false;
    this.app.view.targetBall.scale.multiplyScalar(0.45);  // a small moving target: the path shows
    $('path-play').textContent = 'Pause';
    this.rebuild();
  }

  // the largest of a few radii whose circle the core calls reachable all the way round
  reachableRadius() {
    const arm = this.app.arm, m = arm.taskSize, n = 24;
    for (const f of [0.18, 0.14, 0.1, 0.07, 0.05, 0.03]) {
      const radius = this.app.reach * f;
      const targets = new Float64Array(n * m);
      for (let i = 0; i < n; ++i) {
        const a = (2 * Math.PI * i) / n;
        const p = [this.centre[0] + radius * Math.cos(a), this.centre[1] + radius * Math.sin(a), this.centre[2]];
        targets.set([...(m === 2 ? p.slice(0, 2) : p), ...this.rest], i * m);
      }
      if (arm.classifyPoses(targets, n).classIndex.every((c) => c > 0)) return radius;
    }
    return this.app.reach * 0.02;
  }

  stop() {
    if (this.running) this.app.view.targetBall.scale.multiplyScalar(1 / 0.45);
    this.running = false;
    this.app.view.setPath([]);
    this.app.view.setTrace([], []);
    this.app.view.setWaypoints([]);
  }

  reset() {
    this.stop();
    this.configureSolver();
    this.points = [];
    this.radiusSet = false;
    if (this.app.mode === 'path') this.start(this.app.target);
  }

  // the path as a closed polyline (world points) and its length
  rebuild() {
    if (!this.running) return;
    const c = this.centre, radius = Number($('path-radius').value);
    $('path-radius-value').textContent = `${radius.toFixed(2)} m`;
    $('path-radius').parentElement.hidden = this.kind !== 'circle';
    $('path-clear').hidden = this.kind !== 'points';
    let pts;
    if (this.kind === 'circle') {
      pts = Array.from({ length: 121 }, (_, i) => {
        const a = (2 * Math.PI * i) / 120;
        return [c[0] + radius * Math.cos(a), c[1] + radius * Math.sin(a), c[2]];
      });
      $('path-hint').textContent = 'A horizontal circle around where the target was (seed 001\'s focus path).';
    } else {
      pts = this.points.length >= 2 ? [...this.points, this.points[0]] : [];
      $('path-hint').textContent = this.points.length >= 2
        ? `${this.points.length} points; click the view to add more.`
        : 'Click the view to place points (on the horizontal plane through the target); the tool visits them in turn.';
    }
    this.poly = pts;
    this.lengths = [0];
    for (let i = 1; i < pts.length; ++i)
      this.lengths.push(this.lengths[i - 1] + Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1], pts[i][2] - pts[i - 1][2]));
    this.app.view.setPath(pts);
    // each clicked point in the colour of its feasibility class (grey: out of reach)
    const waypoints = this.kind === 'points' ? this.points : [];
    const m = this.app.arm.taskSize;
    const targets = Float64Array.from(waypoints.flatMap((p) => [...(m === 2 ? p.slice(0, 2) : p), ...this.rest]));
    const classes = this.app.arm.classifyPoses(targets, waypoints.length).classIndex;
    this.app.view.setWaypoints(waypoints, Array.from(classes, (c) => CLASSES[c].colour));
    if (Array.from(classes).some((c) => c === 0))
      $('path-hint').textContent += ' Grey points are out of reach: no answer can get the tool there.';
    this.trace = [];
    this.maxJump = 0;
    this.s = 0;
    this.last = null;
    this.hooks.writeHash();  // the path is part of the link
  }

  pointAt(s) {
    const L = this.lengths, total = L[L.length - 1];
    s = ((s % total) + total) % total;
    let i = 1;
    while (i < L.length - 1 && L[i] < s) ++i;
    const u = (s - L[i - 1]) / Math.max(1e-12, L[i] - L[i - 1]);
    const a = this.poly[i - 1], b = this.poly[i];
    return [0, 1, 2].map((k) => a[k] + (b[k] - a[k]) * u);
  }

  step(now) {
    if (!this.running || this.paused || this.busy || !this.poly || this.poly.length < 2) {
      this.last = now;
      return;
    }
    const total = this.lengths[this.lengths.length - 1];
    const dt = this.last === null ? 0 : Math.min(0.1, (now - this.last) / 1000);
    this.last = now;
    this.s += (total / LAP_SECONDS) * dt;
    const p = this.pointAt(this.s);
    const planar = this.app.arm.task === 'planar_xy';
    const target = Float64Array.from([...(planar ? p.slice(0, 2) : p), ...this.rest]);
    if (this.solver === 'trajectory' && this.trajectory?.arm === this.app.armName) {
      this.apply(target, this.trajectory.model.step(this.app.q, target, MAX_STEP_M));
      return;
    }
    const backend = this.hooks.activeBackend();
    const result = backend.predict(target);
    if (result instanceof Promise) {
      this.busy = true;
      result.then((q) => this.apply(target, q)).catch(() => {}).finally(() => (this.busy = false));
    } else this.apply(target, result);
  }

  apply(target, qNet) {
    const app = this.app, arm = app.arm;
    let q = arm.wrapIntoLimits(qNet).q;
    if (app.refine) q = arm.refine(target, q).q;
    // a branch flip shows as a jump of a radian or more between two frames
    this.maxJump = Math.max(this.maxJump, maxAngleDifference(q, app.q));
    app.q = q;
    app.tween = null;
    this.hooks.drawArm(q);
    app.target = target;
    app.view.setTargetPose(this.hooks.positionOf(target), null);
    const [pos] = arm.taskErrors(target, q, 1);
    const tool = arm.fk(q).position;
    app.view.setToolMarker(tool);
    this.trace.push({ p: tool, mm: pos * 1000 });
    if (this.trace.length > TRACE_POINTS) this.trace.shift();
    const maxMm = Math.max(1, ...this.trace.map((t) => t.mm));
    app.view.setTrace(this.trace.map((t) => t.p), this.trace.map((t) => errorColour(t.mm, maxMm).map((c) => c / 255)));
    // the panel's text, sliders and chart ten times a second: each update costs a style and
    // layout pass of the panel, which every frame would spend for numbers nobody can read
    const now = performance.now();
    if (now - (this.panelAt ?? -Infinity) < 100) return;
    this.panelAt = now;
    $('tool-error-mm').textContent = this.hooks.fmtMm(pos * 1000);
    $('target-text').textContent = this.hooks.describeTarget(target);
    this.hooks.updateSliders(q);
    $('joints').textContent = Array.from(q, (v) => v.toFixed(6)).join(',');
    this.drawChart(maxMm);
  }

  drawChart(maxMm) {
    const canvas = $('path-trace'), g = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height;
    g.clearRect(0, 0, w, h);
    g.strokeStyle = '#2457d6';
    g.lineWidth = 1.5;
    g.beginPath();
    this.trace.forEach((t, i) => {
      const x = (i / (TRACE_POINTS - 1)) * w, y = h - 4 - (t.mm / maxMm) * (h - 16);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
    g.fillStyle = '#5a6677';
    g.font = '11px system-ui';
    g.fillText(`error, last ${TRACE_POINTS} frames (max ${maxMm.toFixed(2)} mm)`, 4, 11);
    const mean = this.trace.reduce((a, t) => a + t.mm, 0) / Math.max(1, this.trace.length);
    const stats = $('path-stats');
    stats.textContent = `mean ${mean.toFixed(2)} mm, max ${Math.max(...this.trace.map((t) => t.mm)).toFixed(2)} mm over the trace; ` +
      `largest joint change ${this.maxJump.toFixed(3)} rad in a frame (${this.solver === 'trajectory' ? 'trajectory model' : 'IK model'})`;
    stats.dataset.maxJump = String(this.maxJump);
    stats.dataset.solver = this.solver;
  }
}
