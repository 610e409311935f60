// The model report panel (docs/model-format.md, "metadata.report"): the loaded model's own
// metadata drawn as plots (training curves, error histograms, a heatmap over the workspace) and
// its figures as a table. The plotting code and its library (Observable Plot) are loaded only when
// the panel first opens, so they add nothing to the page's first load. Every string that comes
// from a model is set as text, never as HTML.
const $ = (id) => document.getElementById(id);

// a figure as the table shows it: 4 significant digits, integers as they are
export function formatFigure(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(4)).toString();
}

// the scalar figures of metadata.metrics: [name, test, validation] rows
export function figureRows(metrics) {
  const test = metrics?.test ?? {}, validation = metrics?.validation ?? {};
  const names = [...new Set([...Object.keys(test), ...Object.keys(validation)])]
    .filter((k) => typeof (test[k] ?? validation[k]) === 'number');
  return names.map((k) => [k, test[k], validation[k]]);
}

export class ReportPanel {
  constructor() {
    this.models = { ik: null, feasibility: null };  // {text, label} or null
    this.which = 'ik';
    this.plots = null;  // the lazily loaded module
    this.drawn = null;  // what is drawn: the text it was drawn from
    $('report-open').addEventListener('click', () => this.open());
    $('report-close').addEventListener('click', () => this.close());
    document.querySelectorAll('#report-which button').forEach((b) => b.addEventListener('click', () => {
      this.which = b.dataset.which;
      this.render();
    }));
  }

  // the loaded ik model (JSON text, or null for an ONNX file or none) and the arm's classifier
  setModels(ik, feasibility) {
    this.models = { ik, feasibility };
    if (!feasibility) this.which = 'ik';
    if (!$('report').hidden) this.render();
  }

  async open() {
    $('report').hidden = false;
    await this.render();
  }

  close() {
    $('report').hidden = true;
  }

  async render() {
    const panel = $('report');
    document.querySelectorAll('#report-which button').forEach((b) => {
      b.classList.toggle('on', b.dataset.which === this.which);
      b.disabled = !this.models[b.dataset.which];
    });
    const model = this.models[this.which];
    if (this.drawn === model && panel.dataset.ready === '1') return;
    panel.dataset.ready = '0';
    this.drawn = model;
    const token = this.token = (this.token ?? 0) + 1;  // a newer render supersedes this one
    const body = $('report-body');
    body.replaceChildren();
    $('report-title').textContent = `Model report: ${model?.label ?? 'no model'}`;
    let metadata = null;
    try {
      metadata = model ? JSON.parse(model.text).metadata ?? null : null;
    } catch {
      metadata = null;
    }
    const say = (text) => {
      const p = document.createElement('p');
      p.className = 'muted';
      p.dataset.testid = 'report-note';
      p.textContent = text;
      body.append(p);
    };
    if (!metadata?.curves && !metadata?.metrics && !metadata?.report) {
      say(model ? 'No report in this model: its file carries no training metadata (an ONNX file, or metadata left out).'
                : 'No report: no network is loaded (the arm follows the core\'s closed-form IK).');
      panel.dataset.ready = '1';
      return;
    }
    if (!metadata.report) say('This model has no error histogram or heatmap (it was made before reports; `neurokin report --model FILE` adds them).');
    try {
      this.plots ??= await import('./report-plots.js');
      if (token !== this.token) return;  // another render began while the library loaded
      this.plots.drawReport(body, metadata, { classifier: JSON.parse(model.text).kind === 'feasibility' });
      body.append(figuresTable(metadata));
    } catch (e) {
      say(`The report could not be drawn: ${e.message}`);
    }
    panel.dataset.ready = '1';
  }
}

// the figures table: every number of metadata.metrics, test and validation side by side
function figuresTable(metadata) {
  const wrap = document.createElement('div');
  const h = document.createElement('h3');
  h.textContent = 'Figures (metadata.metrics)';
  const table = document.createElement('table');
  table.className = 'timings report-figures';
  table.dataset.testid = 'report-figures';
  const head = table.insertRow();
  for (const t of ['', 'test', 'validation']) {
    const th = document.createElement('th');
    th.textContent = t;
    head.append(th);
  }
  for (const [name, test, validation] of figureRows(metadata.metrics)) {
    const row = table.insertRow();
    row.dataset.name = name;
    for (const v of [name, test, validation]) row.insertCell().textContent = v === undefined ? '—' : formatFigure(v);
  }
  wrap.append(h, table);
  return wrap;
}
