// appended after the Emscripten glue (--extern-post-js): the page's slice worker is an ES module
// worker, which has no importScripts and, under the page's Content-Security-Policy, no eval, so
// it import()s this classic script as a module, where `var createNeuroKin` stays module-scoped
globalThis.createNeuroKin = createNeuroKin;
