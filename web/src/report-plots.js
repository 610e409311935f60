// The model report's plots, drawn with Observable Plot (loaded with this module only when the
// report panel first opens: report.js). Plot draws lines, histograms and a heatmap with a colour
// legend as SVG with axes, all in one library; uPlot draws lines and bars on a canvas but has no
// heatmap or colour scale. Text from the model reaches the page only through Plot's SVG text
// nodes and textContent.
import * as Plot from '@observablehq/plot';

const WIDTH = 640;

// a titled figure box holding one plot, with a test id
function figure(parent, testid, title, plot) {
  const box = document.createElement('figure');
  box.className = 'report-plot';
  box.dataset.testid = testid;
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  box.append(caption, plot);
  parent.append(box);
}

// per-epoch series of metadata.curves as long rows {epoch, value, series}, when not all zero
function curveRows(curves, keys) {
  const rows = [];
  for (const [key, name, scale = 1] of keys) {
    const ys = curves[key];
    if (!Array.isArray(ys) || !ys.some((v) => Number.isFinite(v) && v !== 0)) continue;
    ys.forEach((v, i) => {
      if (Number.isFinite(v) && v > 0) rows.push({ epoch: curves.epoch?.[i] ?? i + 1, value: v * scale, series: name });
    });
  }
  return rows;
}

function linePlot(rows, { yLabel, log = true }) {
  return Plot.plot({
    width: WIDTH, height: 260, marginLeft: 60,
    x: { label: 'epoch' }, y: { type: log ? 'log' : 'linear', label: yLabel, grid: true, tickFormat: '~g' },
    color: { legend: true, domain: [...new Set(rows.map((r) => r.series))] },  // in the order given
    marks: [Plot.line(rows, { x: 'epoch', y: 'value', stroke: 'series' })],
  });
}

function drawCurves(parent, curves, classifier) {
  const loss = curveRows(curves, [
    ['loss', classifier ? 'cross-entropy (training)' : 'loss (weighted sum)'], ['joint', 'joint MSE'],
    ['sincos', 'sin/cos MSE'], ['fk_position', 'FK position'], ['fk_orientation', 'FK orientation'],
    ...(classifier ? [['val_cross_entropy', 'cross-entropy (validation)']] : []),
  ]);
  const box = document.createElement('div');
  box.className = 'report-pair';
  if (loss.length) figure(box, 'report-curves', 'Training loss terms per epoch (unweighted means)', linePlot(loss, { yLabel: 'loss' }));
  const val = classifier
    ? curveRows(curves, [['val_accuracy', 'accuracy', 100]])
    : curveRows(curves, [['val_mean_mm', 'mean'], ['val_p95_mm', 'p95'], ['val_max_mm', 'max']]);
  if (val.length) {
    figure(box, 'report-validation', classifier ? 'Validation accuracy per epoch' : 'Validation FK position error per epoch',
      linePlot(val, { yLabel: classifier ? 'accuracy (%)' : 'error (mm)', log: !classifier }));
  }
  const rot = classifier ? [] : curveRows(curves, [['val_rot_mean_deg', 'mean']]);
  if (rot.length) figure(box, 'report-validation-rot', 'Validation orientation error per epoch', linePlot(rot, { yLabel: 'mean error (deg)' }));
  parent.append(box);
}

function drawHistogram(parent, h, classifier, index) {
  const rows = [];
  for (const s of h.series ?? []) {
    (s.counts ?? []).forEach((c, b) => {
      if (c > 0) rows.push({ x1: h.edges[b], x2: h.edges[b + 1], count: c, series: String(s.name) });
    });
  }
  const plot = Plot.plot({
    width: WIDTH, height: classifier ? 380 : 260, marginLeft: 60, marginRight: classifier ? 140 : 20,
    x: { type: h.log_x ? 'log' : 'linear', label: `${h.label}${h.log_x ? ' (log bins)' : ''}`, tickFormat: '~g' },
    y: { type: classifier ? 'log' : 'linear', label: classifier ? 'poses (log)' : 'targets per bin', grid: true, tickFormat: classifier ? '~g' : undefined },
    fy: classifier ? { label: 'true class' } : undefined,
    color: classifier ? { legend: false } : undefined,
    marks: [
      Plot.rect(rows, {
        x1: 'x1', x2: 'x2', y1: classifier ? 0.8 : 0, y2: 'count', fill: classifier ? 'series' : '#0072B2', fy: classifier ? 'series' : undefined,
        inset: 0.5, title: (d) => `${d.series}: ${d.count} in [${d.x1}, ${d.x2})`,
      }),
      ...(classifier ? [] : [Plot.ruleY([0])]),
    ],
  });
  figure(parent, index === 0 ? 'report-histogram' : `report-histogram-${index}`,
    classifier ? `Predicted probability of the true class, per true class` : `Histogram of the ${h.label}`, plot);
}

function drawHeatmap(parent, hm, classifier) {
  const dx = (hm.x[1] - hm.x[0]) / hm.nx, dy = (hm.y[1] - hm.y[0]) / hm.ny, cells = [];
  hm.values.forEach((v, k) => {
    if (v === null || !Number.isFinite(v)) return;
    const i = k % hm.nx, j = Math.floor(k / hm.nx);
    cells.push({
      x1: hm.x[0] + i * dx, x2: hm.x[0] + (i + 1) * dx, y1: hm.y[0] + j * dy, y2: hm.y[0] + (j + 1) * dy,
      value: classifier ? v * 100 : v,
    });
  });
  const label = classifier ? 'accuracy (%)' : String(hm.value);
  // a metre as long on both axes, at most MAX_HEIGHT tall (a tall plane gets narrower)
  const MAX_HEIGHT = 480, margin = { left: 60, right: 20, top: 20, bottom: 40 };
  const xr = hm.x[1] - hm.x[0], yr = hm.y[1] - hm.y[0];
  let inner = WIDTH - margin.left - margin.right, tall = (inner * yr) / xr;
  if (tall > MAX_HEIGHT) [inner, tall] = [(MAX_HEIGHT * xr) / yr, MAX_HEIGHT];
  const plot = Plot.plot({
    width: inner + margin.left + margin.right, height: tall + margin.top + margin.bottom,
    marginLeft: margin.left, marginRight: margin.right, marginTop: margin.top, marginBottom: margin.bottom,
    x: { label: String(hm.x_label), domain: hm.x }, y: { label: String(hm.y_label), domain: hm.y },
    color: { type: 'linear', scheme: 'viridis', legend: true, label, reverse: classifier },
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      Plot.rect(cells, { x1: 'x1', x2: 'x2', y1: 'y1', y2: 'y2', fill: 'value', title: (d) => `${label}: ${d.value.toPrecision(4)}` }),
    ],
  });
  figure(parent, 'report-heatmap', `${classifier ? 'Accuracy' : 'Mean position error'} over the workspace (${hm.projection})`, plot);
}

function drawConfusion(parent, report) {
  const classes = report.classes.map(String), cells = [];
  report.confusion.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((n, p) => cells.push({ truth: classes[t], predicted: classes[p], n, share: total ? (100 * n) / total : 0 }));
  });
  const plot = Plot.plot({
    width: WIDTH, height: 300, marginLeft: 140, marginBottom: 50,
    x: { domain: classes, label: 'predicted class' }, y: { domain: classes, label: 'true class' },
    color: { type: 'linear', scheme: 'blues', domain: [0, 100], legend: true, label: 'share of the true class (%)' },
    marks: [
      Plot.cell(cells, { x: 'predicted', y: 'truth', fill: 'share', inset: 0.5 }),
      Plot.text(cells, { x: 'predicted', y: 'truth', text: (d) => String(d.n), fill: (d) => (d.share > 60 ? 'white' : 'black') }),
    ],
  });
  figure(parent, 'report-confusion', `Confusion matrix on ${report.n} ${report.source} (seed ${report.seed})`, plot);
}

// every plot the metadata has, into parent
export function drawReport(parent, metadata, { classifier }) {
  if (metadata.curves) drawCurves(parent, metadata.curves, classifier);
  const r = metadata.report;
  if (!r) return;
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = `Errors on ${r.n} ${r.source} drawn with seed ${r.seed} (not the training data).`;
  parent.append(note);
  if (classifier && r.confusion) drawConfusion(parent, r);
  (r.histograms ?? []).forEach((h, k) => drawHistogram(parent, h, classifier, k));
  if (r.heatmap) drawHeatmap(parent, r.heatmap, classifier);
}
