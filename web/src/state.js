// The view's state in the URL hash, so a link opens the same view:
//   #arm=kr6&target=x,y,z,qx,qy,qz,qw&backend=wasm|onnx&refine=0|1&all=1&model=URL
// `target` is the arm's task vector (as in the CLI). Parsing never throws: each bad field is
// dropped and named in `problems`, and the page shows them.

export const BACKENDS = ['wasm', 'onnx'];

export function parseHash(hash, arms) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const state = {};
  const problems = [];
  const arm = params.get('arm');
  if (arm !== null) {
    if (arms.includes(arm)) state.arm = arm;
    else problems.push(`arm: expected one of ${arms.join(', ')}, got '${arm}'`);
  }
  const target = params.get('target');
  if (target !== null) {
    const values = target.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) problems.push(`target: entry ${bad + 1} '${target.split(',')[bad]}' is not a number`);
    else state.target = values;
  }
  const backend = params.get('backend');
  if (backend !== null) {
    if (BACKENDS.includes(backend)) state.backend = backend;
    else problems.push(`backend: expected wasm or onnx, got '${backend}'`);
  }
  // the on/off toggles: refine (DLS after the network), all (every IK solution as ghost arms)
  for (const [key, field] of [['refine', 'refine'], ['all', 'allSolutions']]) {
    const value = params.get(key);
    if (value === null) continue;
    if (value === '0' || value === '1') state[field] = value === '1';
    else problems.push(`${key}: expected 0 or 1, got '${value}'`);
  }
  const model = params.get('model');
  if (model) state.model = model;
  return { state, problems };
}

// numbers with enough digits to round-trip a dragged target to well under a micrometre
function num(x) {
  return Number(x.toFixed(6)).toString();
}

// `all` only when on, so links made before it existed read the same
export function formatHash({ arm, target, backend, refine, allSolutions, model }) {
  const parts = [`arm=${arm}`];
  if (target) parts.push(`target=${Array.from(target, num).join(',')}`);
  parts.push(`backend=${backend}`, `refine=${refine ? 1 : 0}`);
  if (allSolutions) parts.push('all=1');
  if (model) parts.push(`model=${encodeURIComponent(model)}`);
  return '#' + parts.join('&');
}
