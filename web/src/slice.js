// The workspace slice panel: a plane through the target (horizontal, vertical through the base
// axis, or across it; offset along its normal), computed 64 x 64 in a Web Worker and drawn as
// a texture, coloured by feasibility class (from the source the page shows: the classifier or
// the exact class), by where the classifier and the exact class differ, or by the network's
// position error.
import { DIFFER_COLOUR, SOURCES } from './feasibility.js';

const SIZE = 64;

const PLANES = {
  planar: [{ id: 'xy', label: 'Arm plane' }],
  spatial: [{ id: 'horizontal', label: 'Horizontal' }, { id: 'vertical', label: 'Vertical' }, { id: 'across', label: 'Across' }],
};

const $ = (id) => document.getElementById(id);

// 'N cells (x%): a reachable by the classifier only, b by the core only, c in another class'
function describeDiffer({ netOnly, exactOnly, otherClass }, pct) {
  const total = netOnly + exactOnly + otherClass;
  const parts = [[netOnly, 'reachable by the classifier only'], [exactOnly, 'by the core only'], [otherClass, 'another class']];
  return `${total} cells (${pct(total)})` + (total ? `: ${parts.map(([k, what]) => `${k} ${what}`).join(', ')}` : '');
}

export class SlicePanel {
  constructor(app, coreUrl) {
    this.app = app;
    this.coreUrl = coreUrl;
    this.worker = null;
    this.enabled = false;
    this.plane = 'horizontal';
    this.colour = 'class';
    this.pending = false;
    this.dirty = false;
    this.id = 0;
    $('slice-differ-key').querySelector('i').style.background = DIFFER_COLOUR;
    $('slice').addEventListener('change', () => this.toggle($('slice').checked));
    document.querySelectorAll('#slice-colour button').forEach((b) => b.addEventListener('click', () => {
      this.colour = b.dataset.colour;
      document.querySelectorAll('#slice-colour button').forEach((x) => x.classList.toggle('on', x === b));
      this.request(this.app.target);
    }));
    $('slice-offset').addEventListener('input', () => {
      $('slice-offset-value').textContent = `${Number($('slice-offset').value).toFixed(2)} m`;
      this.request(this.app.target);
    });
  }

  configure(arm, reach, zRange) {
    this.planar = arm.task === 'planar_xy';
    this.reach = reach;
    this.zRange = zRange;
    const planes = this.planar ? PLANES.planar : PLANES.spatial;
    if (!planes.some((p) => p.id === this.plane)) this.plane = planes[0].id;
    const box = $('slice-plane');
    box.replaceChildren();
    for (const p of planes) {
      const b = document.createElement('button');
      b.textContent = p.label;
      b.dataset.testid = `slice-plane-${p.id}`;
      b.classList.toggle('on', p.id === this.plane);
      b.addEventListener('click', () => {
        this.plane = p.id;
        box.querySelectorAll('button').forEach((x) => x.classList.toggle('on', x === b));
        this.request(this.app.target);
      });
      box.append(b);
    }
    const off = $('slice-offset');
    off.min = -reach / 2;
    off.max = reach / 2;
    off.step = reach / 200;
    off.value = 0;
    off.disabled = this.planar;
    $('slice-offset-value').textContent = '0.00 m';
  }

  // the arm, its ik network (or null) and its feasibility classifier (or null), as JSON text
  setModel(armJson, modelJson, classifierJson) {
    Object.assign(this, { armJson, modelJson, classifierJson });
    $('slice-colour').querySelector('[data-colour=differ]').disabled = !classifierJson;
    this.worker?.postMessage(this.initMessage());
  }

  initMessage() {
    return { type: 'init', coreUrl: this.coreUrl, armJson: this.armJson, modelJson: this.modelJson,
             classifierJson: this.classifierJson };
  }

  toggle(on) {
    this.enabled = on;
    $('slice-tools').hidden = !on;
    this.app.view.slice.visible = false;
    if (on && !this.worker) {
      this.worker = new Worker(new URL('./slice-worker.js', import.meta.url), { type: 'module' });
      this.worker.onmessage = (e) => this.onMessage(e.data);
      this.worker.onerror = (e) => {
        $('slice-status').textContent = `worker failed: ${e.message}`;
      };
      this.worker.postMessage(this.initMessage());
    }
    if (on) this.request(this.app.target);
    else $('slice-scale').hidden = $('slice-differ-key').hidden = true;
  }

  // plane basis in world: centre and the two spanning vectors (full extent)
  basis(target) {
    const R = this.reach * 2.3, off = Number($('slice-offset').value);
    const p = [target[0], target[1], this.planar ? 0 : target[2]];
    if (this.planar || this.plane === 'horizontal') return { centre: [0, 0, p[2] + (this.planar ? 0 : off)], u: [R, 0, 0], v: [0, R, 0] };
    const r = Math.hypot(p[0], p[1]);
    const d = r > 1e-9 ? [p[0] / r, p[1] / r, 0] : [1, 0, 0];  // from the base axis towards the target
    const n = [-d[1], d[0], 0];
    // vertical planes span the workspace's height (sampled), with a margin
    const [z0, z1] = this.zRange, zc = (z0 + z1) / 2, H = (z1 - z0) * 1.15;
    if (this.plane === 'vertical') return { centre: [off * n[0], off * n[1], zc], u: d.map((x) => x * R), v: [0, 0, H] };
    return { centre: [p[0] + off * d[0], p[1] + off * d[1], zc], u: n.map((x) => x * R), v: [0, 0, H] };
  }

  request(target) {
    if (!this.enabled || !this.worker) return;
    if (this.pending) {
      this.dirty = true;
      return;
    }
    this.pending = true;
    this.dirty = false;
    const colour = this.colour === 'error' && !this.modelJson ? 'class'
      : this.colour === 'differ' && !this.classifierJson ? 'class' : this.colour;
    if (colour !== this.colour)
      $('slice-status').textContent = this.colour === 'error' ? 'no network for the wasm core: coloured by class'
        : 'no classifier for this arm: coloured by the exact class';
    this.lastBasis = this.basis(target);
    this.lastColour = colour;
    this.t0 = performance.now();
    const rest = Array.from(target).slice(this.planar ? 2 : 3);
    this.worker.postMessage({ type: 'compute', id: ++this.id, size: SIZE, basis: this.lastBasis, rest, colour,
                              source: this.app.feasibilitySource });
  }

  onMessage(msg) {
    if (msg.type === 'ready') return;
    this.pending = false;
    if (msg.type === 'error') {
      $('slice-status').textContent = `slice: ${msg.message}`;
    } else if (msg.type === 'slice' && this.enabled) {
      this.app.view.setSlice(msg.rgba, SIZE, this.lastBasis);
      // what was drawn, for the console and the tests: each cell's class and its colour
      this.last = { classes: msg.classes, rgba: msg.rgba, source: msg.source, basis: this.lastBasis, colour: this.lastColour };
      const total = SIZE * SIZE, pct = (k) => `${((100 * k) / total).toFixed(0)}%`;
      const status = $('slice-status');
      status.textContent = `${SIZE} × ${SIZE} in ${msg.ms.toFixed(0)} ms (Web Worker; ${(performance.now() - this.t0).toFixed(0)} ms round trip), ` +
        `${pct(total - msg.counts[0])} reachable according to ${SOURCES[msg.source]}` +
        (msg.differ === null ? '' : `; the two differ on ${describeDiffer(msg.differ, pct)}`);
      status.dataset.ms = msg.ms.toFixed(1);
      status.dataset.source = msg.source;
      $('slice-scale').hidden = this.lastColour !== 'error';
      $('slice-differ-key').hidden = this.lastColour !== 'differ';
      $('slice-scale-max').textContent = `${msg.maxMm.toFixed(2)} mm`;
    }
    if (this.dirty) this.request(this.app.target);
  }
}
