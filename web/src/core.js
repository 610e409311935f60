// The WebAssembly core (docs/js-api.md): loaded once, as the classic script the Emscripten
// build emits, from wasm/ next to the page. Also the shipped files' index (scripts/stage.mjs).

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src} (was the page built with 'make web'?)`));
    document.head.append(s);
  });
}

// absolute URL of a file shipped with the page (works under any base path)
export function assetUrl(relative) {
  return new URL(relative, document.baseURI).href;
}

let modulePromise = null;
export function loadCore() {
  modulePromise ??= loadScript(assetUrl('wasm/neurokin.js')).then(() => window.createNeuroKin());
  return modulePromise;
}

// fetch with a message naming the URL and what went wrong (a dead URL is a message, not a crash)
export async function fetchChecked(url, as = 'text') {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${e.message}`);
  }
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  return as === 'text' ? response.text() : response.arrayBuffer();
}

export async function loadIndex() {
  return JSON.parse(await fetchChecked(assetUrl('models/index.json')));
}
