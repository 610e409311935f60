// A model from a URL (the `model=` hash key): fetched with progress, and every failure told as
// one of four kinds, each naming the URL (docs/sharing.md):
//   not-found    the server answered 404 / 410
//   cors         the server answered, but does not let this page read the file
//   not-a-model  the file is neither a NeuroKinematics model (JSON) nor an ONNX model
//   other-arm    a model for another arm than the one shown
// and, for what is none of those, 'unreachable' (no answer at all) and 'http' (another status).

export class ModelLoadError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const MB = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

// the file at url as bytes; onProgress(received, total or 0) while it arrives
export async function fetchModelBytes(url, onProgress = () => {}) {
  const href = new URL(url, document.baseURI).href;
  let response;
  try {
    response = await fetch(href);
  } catch (e) {
    // a cross-origin read refused and a dead server both throw the same TypeError; an opaque
    // ("no-cors") request tells them apart: it succeeds whenever the server answers at all
    if (new URL(href).origin !== location.origin) {
      const answered = await fetch(href, { mode: 'no-cors' }).then(() => true, () => false);
      if (answered)
        throw new ModelLoadError('cors', `model blocked by CORS: ${href}: its server answered but does not let other sites read the ` +
          'file (no Access-Control-Allow-Origin header). Host it where CORS is allowed (GitHub, a gist, Hugging Face), or download it and drop it on the page.');
    }
    throw new ModelLoadError('unreachable', `cannot reach ${href}: ${e.message} (offline, or the server is down)`);
  }
  if (response.status === 404 || response.status === 410)
    throw new ModelLoadError('not-found', `model not found: ${href} (HTTP ${response.status}). Check the address, and for GitHub the branch and path.`);
  if (!response.ok) throw new ModelLoadError('http', `cannot load the model ${href}: HTTP ${response.status} ${response.statusText}`.trim());
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
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


