// The view's state in the URL hash, so a link opens the same view (docs/sharing.md):
//   #arm=kr6&target=x,y,z,qx,qy,qz,qw&backend=wasm|onnx&refine=0|1&all=1
//    &mode=ik|fk|path&q=JOINTS&path=circle|points&radius=R&points=x,y,z;x,y,z&solver=trajectory
//    &camera=px,py,pz,tx,ty,tz&model=URL|modeldata=INLINE&compare=URL|comparedata=INLINE
//    &classroom=1&hide=SECTION,...&tour=STEP&speed=S
// `target` is the arm's task vector (as in the CLI). Parsing never throws: each bad field is
// dropped and named in `problems`, unknown keys are named too, and the page shows them.

export const BACKENDS = ['wasm', 'onnx'];
export const MODES = ['ik', 'fk', 'path'];
export const PATHS = ['circle', 'points'];
// what moves the arm along a path: the page's model, each point alone (default), or the arm's
// trajectory model stepping from the current joints (seed 004)
export const PATH_SOLVERS = ['model', 'trajectory'];
// the panel's sections a link can hide (index.html: data-section)
export const SECTIONS = ['arm', 'mode', 'target', 'solutions', 'feasibility', 'inference', 'model', 'compare', 'share'];
export const SPEEDS = [0.25, 0.5, 1, 2];
const KNOWN = ['arm', 'target', 'backend', 'refine', 'all', 'mode', 'q', 'path', 'radius', 'points', 'camera', 'model',
               'modeldata', 'compare', 'comparedata', 'classroom', 'hide', 'tour', 'speed', 'feas',
               'solver'];
// where the feasibility class shown comes from: the arm's classifier (default) or the core
export const FEASIBILITY_SOURCES = ['classifier', 'exact'];

// the only URLs a model is fetched from (a path on this site is http(s) too): javascript:,
// file:, blob:, ftp: and the rest are refused, wherever the URL comes from (a link, the form)
export const MODEL_URL_SCHEMES = ['http', 'https', 'data'];

// why url may not be fetched ("refused a javascript: URL (...)"), or null when it may; a URL
// without a scheme is a path on this site
export function refusedScheme(url) {
  const scheme = String(url).trim().match(/^([a-z][a-z0-9+.-]*):/i)?.[1].toLowerCase();
  if (!scheme || MODEL_URL_SCHEMES.includes(scheme)) return null;
  return `refused a ${quote(scheme).slice(1, -1)}: URL (only ${MODEL_URL_SCHEMES.map((s) => `${s}:`).join(', ')} URLs are loaded)`;
}

// a short, printable quote of a value from the link (links can hold anything)
function quote(s) {
  const printable = String(s).replace(/[^\x20-\x7e]/g, '?');
  return `'${printable.length > 40 ? `${printable.slice(0, 40)}…` : printable}'`;
}

// a few quoted names, and how many more
function names(list) {
  return list.slice(0, 5).map(quote).join(', ') + (list.length > 5 ? ` and ${list.length - 5} more` : '');
}

// comma-separated finite numbers, of one of the allowed counts (any count when none given)
function numbers(key, text, problems, counts = null) {
  const parts = text.split(',');
  const values = parts.map((s) => (s.trim() === '' ? NaN : Number(s)));
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) problems.push(`${key}: entry ${bad + 1} ${quote(parts[bad])} is not a number`);
  else if (counts && !counts.includes(values.length))
    problems.push(`${key}: expected ${counts.join(' or ')} numbers, got ${values.length}`);
  else return values;
  return null;
}

export function parseHash(hash, arms) {
  const state = {};
  const problems = [];
  let params;
  try {
    params = new URLSearchParams(String(hash).replace(/^#/, ''));
  } catch (e) {
    return { state, problems: [`the link's hash cannot be read (${e.message})`] };
  }
  const get = (key) => params.get(key);
  const pick = (key, field, allowed, what = `one of ${allowed.join(', ')}`) => {
    const value = get(key);
    if (value === null) return;
    if (allowed.includes(value)) state[field] = value;
    else problems.push(`${key}: expected ${what}, got ${quote(value)}`);
  };
  // arms: the names the site has; null (offline: no list) accepts any well-formed name
  if (arms) pick('arm', 'arm', arms);
  else if (/^[A-Za-z0-9_-]{1,40}$/.test(get('arm') ?? '')) state.arm = get('arm');
  const target = get('target');
  if (target !== null) state.target = numbers('target', target, problems) ?? undefined;
  pick('backend', 'backend', BACKENDS, 'wasm or onnx');
  // the on/off toggles: refine (DLS after the network), all (every IK solution as ghost arms),
  // classroom (large type, the chosen controls only)
  for (const [key, field] of [['refine', 'refine'], ['all', 'allSolutions'], ['classroom', 'classroom']]) {
    const value = get(key);
    if (value === null) continue;
    if (value === '0' || value === '1') state[field] = value === '1';
    else problems.push(`${key}: expected 0 or 1, got ${quote(value)}`);
  }
  pick('mode', 'mode', MODES);
  pick('feas', 'feasibility', FEASIBILITY_SOURCES);
  const q = get('q');
  if (q !== null) state.q = numbers('q', q, problems) ?? undefined;
  pick('path', 'path', PATHS);
  pick('solver', 'pathSolver', PATH_SOLVERS);
  const radius = get('radius');
  if (radius !== null) {
    const r = Number(radius);
    if (radius.trim() !== '' && r > 0 && r < 100) state.radius = r;
    else problems.push(`radius: expected a positive number of metres, got ${quote(radius)}`);
  }
  const points = get('points');
  if (points !== null) {
    const list = points.split(';').map((p, i) => numbers(`points: point ${i + 1}`, p, problems, [3]));
    if (list.every(Boolean)) state.points = list;
  }
  const camera = get('camera');
  if (camera !== null) state.camera = numbers('camera', camera, problems, [6]) ?? undefined;
  // a model travels by reference (an http(s) or data: URL, or a path on this site) or inline
  for (const [key, field] of [['model', 'model'], ['compare', 'compare']]) {
    const url = get(key);
    if (url === null) continue;
    const refused = refusedScheme(url);
    if (url.trim() === '') problems.push(`${key}: expected an http(s) URL or a path on this site, got ${quote(url)}`);
    else if (refused) problems.push(`${key}: ${refused}, got ${quote(url)}`);
    else state[field] = url.trim();
  }
  for (const [key, field] of [['modeldata', 'modelData'], ['comparedata', 'compareData']]) {
    const data = get(key);
    if (data === null) continue;
    if (/^[A-Za-z0-9_-]+$/.test(data)) state[field] = data;
    else problems.push(`${key}: expected base64url text, got ${quote(data)}`);
  }
  const hide = get('hide');
  if (hide !== null) {
    const given = [...new Set(hide.split(',').filter((s) => s !== ''))];
    const unknown = given.filter((s) => !SECTIONS.includes(s));
    if (unknown.length) problems.push(`hide: ${names(unknown)} ${unknown.length > 1 ? 'are not sections' : 'is not a section'} (${SECTIONS.join(', ')})`);
    state.hide = given.filter((s) => SECTIONS.includes(s));
  }
  const tour = get('tour');
  if (tour !== null) {
    if (/^[1-9][0-9]?$/.test(tour)) state.tour = Number(tour);
    else problems.push(`tour: expected a step number from 1, got ${quote(tour)}`);
  }
  const speed = get('speed');
  if (speed !== null) {
    if (SPEEDS.includes(Number(speed)) && speed.trim() !== '') state.speed = Number(speed);
    else problems.push(`speed: expected one of ${SPEEDS.join(', ')}, got ${quote(speed)}`);
  }
  const unknown = [...new Set(params.keys())].filter((k) => !KNOWN.includes(k));
  if (unknown.length) problems.push(`ignored ${unknown.length > 1 ? 'keys' : 'key'} ${names(unknown)} (not a setting of this page)`);
  for (const k of Object.keys(state)) if (state[k] === undefined) delete state[k];
  return { state, problems };
}

// numbers with enough digits to round-trip a dragged target to well under a micrometre
function num(x) {
  return Number(x.toFixed(6)).toString();
}
const list = (values) => Array.from(values, num).join(',');

// only what differs from the defaults beyond arm, target, backend and refine, so links made
// before a key existed read the same
export function formatHash(s) {
  const parts = [`arm=${s.arm}`];
  if (s.target) parts.push(`target=${list(s.target)}`);
  parts.push(`backend=${s.backend}`, `refine=${s.refine ? 1 : 0}`);
  if (s.allSolutions) parts.push('all=1');
  if (s.mode && s.mode !== 'ik') parts.push(`mode=${s.mode}`);
  if (s.mode === 'fk' && s.q) parts.push(`q=${list(s.q)}`);
  if (s.mode === 'path' && s.path) {
    parts.push(`path=${s.path}`);
    if (s.path === 'circle' && s.radius) parts.push(`radius=${num(s.radius)}`);
    if (s.path === 'points' && s.points?.length) parts.push(`points=${s.points.map(list).join(';')}`);
  }
  if (s.camera) parts.push(`camera=${s.camera.map((v) => Number(v.toFixed(4))).join(',')}`);
  if (s.model) parts.push(`model=${encodeURIComponent(s.model)}`);
  if (s.modelData) parts.push(`modeldata=${s.modelData}`);
  if (s.compare) parts.push(`compare=${encodeURIComponent(s.compare)}`);
  if (s.compareData) parts.push(`comparedata=${s.compareData}`);
  if (s.classroom) parts.push('classroom=1');
  if (s.hide?.length) parts.push(`hide=${s.hide.join(',')}`);
  if (s.tour) parts.push(`tour=${s.tour}`);
  if (s.speed && s.speed !== 1) parts.push(`speed=${s.speed}`);
  if (s.feasibility === 'exact') parts.push('feas=exact');
  if (s.pathSolver === 'trajectory') parts.push('solver=trajectory');
  return '#' + parts.join('&');
}

// a model link as people paste it -> the URL of the file itself: GitHub, GitLab and Hugging Face
// "blob" pages and Dropbox share pages name an HTML page, not the file
export function rawModelUrl(url) {
  const u = url.trim();
  let m = u.match(/^https?:\/\/github\.com\/([^/]+)\/([^/]+)\/(?:blob|raw)\/(.+)$/i);
  if (m) return `https://raw.githubusercontent.com/${m[1]}/${m[2]}/${m[3].replace(/[?#].*$/, '')}`;
  m = u.match(/^https?:\/\/gist\.github\.com\/([^/]+)\/([0-9a-f]+)\/?$/i);
  if (m) return `https://gist.githubusercontent.com/${m[1]}/${m[2]}/raw`;
  m = u.match(/^(https?:\/\/gitlab\.com\/.+)\/-\/blob\/(.+)$/i);
  if (m) return `${m[1]}/-/raw/${m[2]}`;
  m = u.match(/^(https?:\/\/huggingface\.co\/.+)\/blob\/(.+)$/i);
  if (m) return `${m[1]}/resolve/${m[2]}`;
  m = u.match(/^https?:\/\/(?:www\.)?dropbox\.com\/(.+?)(\?.*)?$/i);
  if (m) {
    const q = new URLSearchParams(m[2] ?? '');
    q.delete('dl');
    q.set('raw', '1');
    return `https://www.dropbox.com/${m[1]}?${q}`;
  }
  return u;
}
