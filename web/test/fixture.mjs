// What every browser test file starts with: web/dist served by a plain static server and the
// system's Chromium, started before the file's tests and closed after them (node:test hooks,
// registered by importing this module). `server` and `browser` are live bindings, set once the
// tests run. A missing prerequisite is a failure with the fix in the message, never a skip.
// Screenshots go to build/web-test/ (NEUROKIN_SCREENSHOTS=DIR to choose).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromiumPath, launchChromium } from './chromium.mjs';
import { serve } from './server.mjs';

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(webDir, '..');
export const distDir = path.join(webDir, 'dist');
export const shotsDir = process.env.NEUROKIN_SCREENSHOTS ?? path.join(repoDir, 'build', 'web-test');

assert.ok(fs.existsSync(path.join(distDir, 'index.html')), `${distDir}/index.html is missing: run 'make web'`);
assert.ok(fs.existsSync(chromiumPath), `${chromiumPath} is missing: run scripts/bootstrap.sh (Debian package chromium)`);

export let server = null, browser = null;
before(async () => {
  server = await serve(distDir);
  browser = await launchChromium();
  fs.mkdirSync(shotsDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});
