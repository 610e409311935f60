// The Share section (docs/sharing.md): "Copy link" makes a URL that reopens this view, with the
// model inside it whenever the link stays under INLINE_LIMIT (else by reference, and the page
// says why); downloads of the model (JSON, ONNX) and of the view (PNG); the classroom link.
import { assetUrl, fetchChecked } from './core.js';
import { encodeModel } from './modelcodec.js';
import { SECTIONS, formatHash, rawModelUrl } from './state.js';

const $ = (id) => document.getElementById(id);

// the longest link Copy link makes (characters): Chromium takes 2 MB, other browsers, mail and
// chat programs cut far shorter ones, and a link is typed into address bars
export const INLINE_LIMIT = 512 * 1024;
const kb = (n) => `${Math.round(n / 1024).toLocaleString('en')} KB`;

// the panel sections shown in a classroom link unless the teacher unticks them
const CLASSROOM_SHOWN = ['arm', 'mode', 'target', 'solutions', 'feasibility'];
const SECTION_LABELS = {
  arm: 'Arm picker', mode: 'Mode (IK, FK, path)', target: 'Target and error', solutions: 'All solutions',
  feasibility: 'Feasibility', inference: 'Inference backends', model: 'Model file', compare: 'Compare two models', share: 'Share',
};

function download(name, blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30000);
}

export class SharePanel {
  constructor(app, hooks) {
    this.app = app;
    this.hooks = hooks;
    this.cache = { text: null, encoded: null };
    $('share').addEventListener('click', () => this.copy());
    $('share-by-reference').addEventListener('change', () => this.copy());
    $('share-model-url').addEventListener('change', () => this.copy());
    $('export-json').addEventListener('click', () => this.exportJson());
    $('export-onnx').addEventListener('click', () => this.exportOnnx().catch((e) => hooks.showError(`ONNX download: ${e.message}`)));
    $('export-png').addEventListener('click', () => this.exportPng());
    const box = $('classroom-sections');
    for (const name of SECTIONS) {
      const label = document.createElement('label');
      label.className = 'toggle';
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.value = name;
      input.checked = CLASSROOM_SHOWN.includes(name);
      input.dataset.testid = `classroom-show-${name}`;
      label.append(input, ` ${SECTION_LABELS[name]}`);
      box.append(label);
    }
    $('share-classroom').addEventListener('click', () => {
      const hide = Array.from(box.querySelectorAll('input'), (el) => (el.checked ? null : el.value)).filter(Boolean);
      this.copy({ classroom: true, hide, tour: $('classroom-tour').checked ? 1 : null });
    });
  }

  // the inline form of a model file's text (computed once per model)
  encoded(text) {
    if (this.cache.text !== text) this.cache = { text, encoded: encodeModel(text) };
    return this.cache.encoded;
  }

  // the link for the current view (overrides: classroom settings) -> {link, inline, note, refused}
  makeLink(overrides = {}) {
    const app = this.app, m = app.model;
    const state = { ...this.hooks.viewState(), ...overrides, model: null, modelData: null };
    const base = location.href.split('#')[0];
    const link = (s) => base + formatHash(s);
    let tooBig = null;
    $('share-model-url').hidden = true;
    if (m && app.modelJson && !$('share-by-reference').checked) {
      const enc = m.kind === 'inline' ? { data: m.data, parameters: null } : this.encoded(app.modelJson);
      const inline = link({ ...state, modelData: enc.data });
      if (inline.length <= INLINE_LIMIT) {
        return { link: inline, inline: true, note: `${kb(inline.length)} link: the model travels inside it (` +
          `${enc.parameters ? `${enc.parameters.toLocaleString('en')} weights ` : 'weights '}as float16, deflated), so it opens with ` +
          'no network and never goes stale.' };
      }
      tooBig = `The model inside the link would make it ${kb(inline.length)}, over the ${kb(INLINE_LIMIT)} this page ` +
        'allows (browsers, mail and chat cut long links)';
    }
    if (m?.kind === 'shipped' || m?.kind === 'url') {
      const s = { ...state, model: m.kind === 'url' ? m.url : null };
      const where = m.kind === 'url' ? `the model at ${m.url}` : `the site's shipped ${app.armName} model`;
      return { link: link(s), inline: false, refused: !!tooBig, note: `${tooBig ? `${tooBig}: ` : ''}the link refers to ${where}.` };
    }
    if (!m) return { link: link(state), inline: false, note: 'No network model: the link opens the arm with the core\'s IK.' };
    // a file (or an .onnx file): only a place on the web can carry it
    $('share-model-url').hidden = false;
    const hosted = $('share-model-url').value.trim();
    const why = tooBig ?? 'An .onnx model cannot travel inside a link';
    if (hosted) return { link: link({ ...state, model: rawModelUrl(hosted) }), inline: false, refused: !!tooBig,
                         note: `${why}: the link refers to ${rawModelUrl(hosted)}.` };
    return { link: link(state), inline: false, refused: true,
             note: `${why}. Put the file on the web (GitHub, a gist, your own site) and paste its address below to share it by reference; ` +
               'until then the link opens the shipped model.' };
  }

  async copy(overrides) {
    let made;
    try {
      made = this.makeLink(overrides);
    } catch (e) {
      this.hooks.showError(`Copy link: ${e.message}`);
      return;
    }
    const out = $('share-url');
    out.value = made.link;
    out.dataset.inline = made.inline ? '1' : '0';
    out.dataset.refused = made.refused ? '1' : '0';
    $('share-note').textContent = made.note;
    $('share-note').classList.toggle('warn', !!made.refused);
    // the clipboard needs permission; when it is refused the link is selected for Ctrl+C
    const copied = await Promise.race([
      navigator.clipboard?.writeText(made.link).then(() => true, () => false) ?? false,
      new Promise((resolve) => setTimeout(() => resolve(false), 1500)),
    ]);
    $('share').textContent = copied ? 'Copied ✓' : 'Copy link';
    if (!copied) out.select();
    setTimeout(() => { $('share').textContent = 'Copy link'; }, 2000);
  }

  // what can be downloaded for the model now shown (called whenever the model changes)
  update() {
    const app = this.app, m = app.model;
    $('export-json').disabled = !app.modelJson;
    $('export-json').title = app.modelJson ? '' : 'no JSON model is loaded';
    const onnx = this.onnxSource();
    $('export-onnx').disabled = !onnx;
    $('export-onnx').title = onnx ? '' : (m ? 'no ONNX file for this model: `neurokin export` writes one from the JSON' : 'no model');
    $('share-url').value = '';
    $('share-note').textContent = '';
  }

  onnxSource() {
    const app = this.app, m = app.model;
    if (!m) return null;
    if ((m.kind === 'url' || m.kind === 'file') && !app.modelJson && app.modelBytes) return { bytes: app.modelBytes };
    const shipped = app.index.models[app.armName];
    if (m.kind === 'shipped' && shipped?.onnx) return { url: assetUrl(shipped.onnx) };
    return null;
  }

  fileBase() {
    return `${this.app.armName}-ik${this.app.model?.kind === 'inline' ? '-float16' : ''}`;
  }

  exportJson() {
    if (!this.app.modelJson) return;
    download(`${this.fileBase()}.json`, new Blob([this.app.modelJson], { type: 'application/json' }));
  }

  async exportOnnx() {
    const src = this.onnxSource();
    if (!src) return;
    const bytes = src.bytes ?? await fetchChecked(src.url, 'bytes');
    download(`${this.fileBase()}.onnx`, new Blob([bytes], { type: 'application/octet-stream' }));
  }

  exportPng() {
    const view = this.app.view;
    view.render();
    view.renderer.domElement.toBlob((blob) => download(`neurokinematics-${this.app.armName}.png`, blob), 'image/png');
  }
}
