// A model inside a link (the `modeldata=` hash key, docs/sharing.md): the model file with its
// weights rounded to float16, deflated (fflate) and base64url-encoded. Decoding gives back an
// ordinary model file (float32 weights, base64) that the core reads like any other; everything
// but the weight tensors (arm, encodings, normalisation, metadata) travels exactly.
//
// The payload, before deflate:
//   bytes 0-3  'N' 'K' version (1) dtype (1 = float16)
//   bytes 4-7  n, the length of the JSON header (uint32, little-endian)
//   n bytes    the model file as JSON, each weight tensor replaced by {"f16": count}
//   then       the tensors' float16 values (little-endian), in layer order, keys in TENSOR_KEYS order
// Pure functions of bytes and strings: the page and the Node tests run the same code.
import { deflateSync, inflateSync } from 'fflate';

const VERSION = 1;
const DTYPE_F16 = 1;
// the layer fields that hold weights (docs/model-format.md)
const TENSOR_KEYS = ['weight', 'bias', 'weight_value', 'bias_value', 'weight_gate', 'bias_gate'];
// an inline model of more than this many weights is refused before any work (64 MB of float32)
const MAX_VALUES = 16 * 1024 * 1024;

// ---- float16 (IEEE 754 binary16), round to nearest even ------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function toHalf(x) {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);  // inf, nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;  // too large: inf
  if (e <= 0) {
    // subnormal half (or zero): shift the mantissa with its implicit bit in
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift, rest = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13), rest = mant & 0x1fff;
  // a carry out of the mantissa correctly bumps the exponent (up to inf)
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

export function fromHalf(h) {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

// ---- base64 (the model file's float32 tensors) and base64url (the link) ----------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function bytesToBase64(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i], b = bytes[i + 1] ?? 0, c = bytes[i + 2] ?? 0;
    out += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4)] +
           (i + 1 < bytes.length ? B64[((b & 15) << 2) | (c >> 6)] : '=') + (i + 2 < bytes.length ? B64[c & 63] : '=');
  }
  return out;
}

const B64_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; ++i) B64_VALUE[B64.charCodeAt(i)] = i;
B64_VALUE['-'.charCodeAt(0)] = 62;  // base64url
B64_VALUE['_'.charCodeAt(0)] = 63;

// standard or url alphabet, padding optional; throws naming `what` on any other character
function base64ToBytes(s, what) {
  s = s.replace(/=+$/, '');
  if (s.length % 4 === 1) throw new Error(`${what}: not base64 (a length of ${s.length} characters is impossible)`);
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0, bits = 0, j = 0;
  for (let i = 0; i < s.length; ++i) {
    const c = s.charCodeAt(i), v = c < 128 ? B64_VALUE[c] : -1;
    if (v < 0) throw new Error(`${what}: not base64url (character ${i + 1} is '${s[i]}')`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

export function toBase64Url(bytes) {
  return bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// a tensor field (base64 float32 or an array of numbers) as float32 values
function tensorValues(v, where) {
  if (Array.isArray(v)) return Float32Array.from(v);
  if (typeof v !== 'string') throw new Error(`${where}: expected base64 float32 or an array of numbers`);
  const bytes = base64ToBytes(v, where);
  if (bytes.length % 4) throw new Error(`${where}: ${bytes.length} bytes is not a whole number of float32 values`);
  return new Float32Array(bytes.buffer, 0, bytes.length / 4);
}

// ---- encode / decode ---------------------------------------------------------------------------------

// the model file (text) -> the `modeldata=` value; also what the rounding did, for the page
export function encodeModel(text) {
  const model = JSON.parse(text);
  if (model?.format !== 'neurokin-model' || !Array.isArray(model.layers)) throw new Error('not a neurokin model file');
  const tensors = [];
  model.layers = model.layers.map((layer, i) => {
    const out = { ...layer };
    for (const key of TENSOR_KEYS) {
      if (!(key in layer)) continue;
      const values = tensorValues(layer[key], `layers[${i}].${key}`);
      tensors.push(values);
      out[key] = { f16: values.length };
    }
    return out;
  });
  const header = new TextEncoder().encode(JSON.stringify(model));
  const count = tensors.reduce((n, t) => n + t.length, 0);
  const payload = new Uint8Array(8 + header.length + 2 * count);
  const view = new DataView(payload.buffer);
  payload.set([0x4e, 0x4b, VERSION, DTYPE_F16]);
  view.setUint32(4, header.length, true);
  payload.set(header, 8);
  let at = 8 + header.length, worst = 0;
  for (const t of tensors) {
    for (const x of t) {
      const h = toHalf(x);
      view.setUint16(at, h, true);
      at += 2;
      worst = Math.max(worst, Math.abs(fromHalf(h) - x));
    }
  }
  const data = toBase64Url(deflateSync(payload, { level: 9 }));
  return { data, parameters: count, rawBytes: payload.length, maxWeightChange: worst };
}

// a `modeldata=` value -> the model file's text (float32 weights); throws a message that says
// what is wrong with the link
export function decodeModel(data) {
  const what = 'modeldata';
  let payload;
  try {
    payload = inflateSync(base64ToBytes(data, what));
  } catch (e) {
    throw new Error(e.message.startsWith(what) ? e.message : `${what}: the link is cut short or damaged (${e.message})`);
  }
  if (payload.length < 8 || payload[0] !== 0x4e || payload[1] !== 0x4b)
    throw new Error(`${what}: not an inline model (no 'NK' header)`);
  if (payload[2] !== VERSION) throw new Error(`${what}: version ${payload[2]}; this page reads version ${VERSION}`);
  if (payload[3] !== DTYPE_F16) throw new Error(`${what}: weight type ${payload[3]}; this page reads 1 (float16)`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const n = view.getUint32(4, true);
  if (8 + n > payload.length) throw new Error(`${what}: the header says ${n} bytes, only ${payload.length - 8} follow`);
  let model;
  try {
    model = JSON.parse(new TextDecoder().decode(payload.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${what}: the model header is not JSON (${e.message})`);
  }
  if (!Array.isArray(model?.layers)) throw new Error(`${what}: the model header has no layers`);
  let at = 8 + n, total = 0;
  model.layers = model.layers.map((layer, i) => {
    const out = { ...layer };
    for (const key of TENSOR_KEYS) {
      if (!(key in layer)) continue;
      const count = layer[key]?.f16;
      if (!Number.isInteger(count) || count < 0 || (total += count) > MAX_VALUES)
        throw new Error(`${what}: layers[${i}].${key}: expected {"f16": count}, got ${JSON.stringify(layer[key]).slice(0, 40)}`);
      if (at + 2 * count > payload.length)
        throw new Error(`${what}: layers[${i}].${key} needs ${count} values; the link ends before them`);
      const values = new Float32Array(count);
      for (let k = 0; k < count; ++k, at += 2) values[k] = fromHalf(view.getUint16(at, true));
      out[key] = bytesToBase64(new Uint8Array(values.buffer));
    }
    return out;
  });
  if (at !== payload.length) throw new Error(`${what}: ${payload.length - at} bytes follow the last layer's weights`);
  return JSON.stringify(model);
}
