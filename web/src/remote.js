// A model from a URL (the `model=` and `compare=` hash keys, the compare form): fetched with
// progress, and every failure told as one kind, each naming the URL (docs/sharing.md):
//   not-found    the server answered 404 / 410
//   cors         the server answered, but does not let this page read the file
//   not-a-model  the file is neither a NeuroKinematics model (JSON) nor an ONNX model
//   other-arm    a model for another arm than the one shown
//   scheme       not an http(s) or data: URL (javascript:, file:, blob:, ftp:, ...)
//   too-large    more than MAX_MODEL_BYTES, by its Content-Length or as it streams in
// and, for what is none of those, 'unreachable' (no answer at all) and 'http' (another status).
import { refusedScheme } from './state.js';

export class ModelLoadError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// the largest model file the page reads, from a URL or a file: the shipped models are at most
// about 3 MB of JSON; past this a link is a way to make the page eat memory, not a model
export const MAX_MODEL_BYTES = 64e6;

const MB = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

// a URL for a message: a long data: URL would fill the screen
export function shownUrl(href) {
  return href.length > 120 ? `${href.slice(0, 100)}… (${href.length.toLocaleString('en')} characters)` : href;
}

// refuses a file of `bytes` bytes (how: where the size comes from) when it is over the limit
export function checkModelSize(bytes, name, how = '') {
  if (bytes > MAX_MODEL_BYTES) {
    throw new ModelLoadError('too-large', `model too large: ${name} is ${MB(bytes)}${how}, over the ${MB(MAX_MODEL_BYTES)} limit ` +
      'for a model file');
  }
}

// the file at url as bytes; onProgress(received, total or 0) while it arrives. Only http(s)
// and data: URLs are fetched, and at most MAX_MODEL_BYTES: a declared length over it is refused
// before the body is read, and a body that streams past it is cut off there
export async function fetchModelBytes(url, onProgress = () => {}) {
  const href = new URL(url, document.baseURI).href;
  const refused = refusedScheme(href);
  if (refused) throw new ModelLoadError('scheme', `model ${shownUrl(href)}: ${refused}`);
  const name = shownUrl(href);
  let response;
  try {
    response = await fetch(href);
  } catch (e) {
    // a cross-origin read refused and a dead server both throw the same TypeError; an opaque
    // ("no-cors") request tells them apart: it succeeds whenever the server answers at all
    if (new URL(href).origin !== location.origin && !href.startsWith('data:')) {
      const answered = await fetch(href, { mode: 'no-cors' }).then(() => true, () => false);
      if (answered)
        throw new ModelLoadError('cors', `model blocked by CORS: ${name}: its server answered but does not let other sites read the ` +
          'file (no Access-Control-Allow-Origin header). Host it where CORS is allowed (GitHub, a gist, Hugging Face), or download it and drop it on the page.');
    }
    throw new ModelLoadError('unreachable', `cannot reach ${name}: ${e.message} (offline, or the server is down)`);
  }
  if (response.status === 404 || response.status === 410)
    throw new ModelLoadError('not-found', `model not found: ${name} (HTTP ${response.status}). Check the address, and for GitHub the branch and path.`);
  if (!response.ok) throw new ModelLoadError('http', `cannot load the model ${name}: HTTP ${response.status} ${response.statusText}`.trim());
  const total = Number(response.headers.get('content-length')) || 0;
  try {
    checkModelSize(total, name, ' (its Content-Length)');
  } catch (e) {
    response.body?.cancel().catch(() => {});
    throw e;
  }
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    checkModelSize(bytes.length, name);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.length;
    if (received > MAX_MODEL_BYTES) {
      reader.cancel().catch(() => {});
      throw new ModelLoadError('too-large', `model too large: ${name} sent more than the ${MB(MAX_MODEL_BYTES)} limit for a model file ` +
        `(stopped after ${MB(received)}${total ? `; it declared ${MB(total)}` : ', with no Content-Length'})`);
    }
    chunks.push(value);
    onProgress(received, total);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

export function progressText(received, total) {
  return total ? `${Math.round((100 * received) / total)}% of ${MB(total)}` : `${MB(received)}`;
}

// what a file is, from its bytes: {type: 'json', text, arm} for our model files (arm: its arm's
// name), {type: 'onnx'}; throws not-a-model naming what it looks like instead
export function inspectModelBytes(bytes, name) {
  const u8 = new Uint8Array(bytes);
  let i = 0;
  while (i < u8.length && (u8[i] === 0x20 || u8[i] === 0x0a || u8[i] === 0x0d || u8[i] === 0x09 || u8[i] === 0xef || u8[i] === 0xbb || u8[i] === 0xbf)) ++i;
  const first = u8[i];
  const notModel = (what) => new ModelLoadError('not-a-model',
    `not a model: ${name} is ${what}; expected a NeuroKinematics model (.json, "format": "neurokin-model") or an .onnx file`);
  if (u8.length === 0) throw notModel('empty');
  if (first === 0x3c) throw notModel(/github\.com|gitlab\.com/.test(name) ? 'a web page (use the raw file\'s link)' : 'a web page (HTML), not a file');
  if (first === 0x7b || first === 0x5b) {
    const text = new TextDecoder().decode(u8);
    let json;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw notModel(`not valid JSON (${e.message})`);
    }
    if (json?.format === 'neurokin-arm') throw notModel('an arm file');
    if (json?.format !== 'neurokin-model') {
      const format = typeof json?.format === 'string' ? `"format": "${json.format.slice(0, 40)}"` : 'no "format" field';
      throw notModel(`a JSON file with ${format}`);
    }
    return { type: 'json', text, arm: typeof json.arm?.name === 'string' ? json.arm.name : null, kind: json.kind };
  }
  // an ONNX model is a protobuf ModelProto: field 1 (ir_version, varint) comes first
  if (first === 0x08 || /\.onnx$/i.test(name)) return { type: 'onnx' };
  throw notModel('neither JSON nor ONNX');
}

export function otherArmError(name, modelArm, arm) {
  return new ModelLoadError('other-arm', `model for another arm: ${name} is a model for ${modelArm}, not ${arm}. ` +
    `Choose ${modelArm} above to use it.`);
}


