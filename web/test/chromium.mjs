// The system's Chromium, headless, driven by playwright-core (TOOLCHAIN.md): WebGL2 through
// SwiftShader (software), no sandbox, nothing fetched from outside. One launcher for the browser
// tests, the screenshots and the frame-time benchmark (bench/page_frames.mjs).
//   const browser = await launchChromium();   // CHROMIUM=/path overrides /usr/bin/chromium
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(extraArgs = []) {
  if (!fs.existsSync(chromiumPath))
    throw new Error(`${chromiumPath} is missing: run scripts/bootstrap.sh (Debian package chromium)`);
  const playwright = await import(createRequire(path.join(webDir, 'package.json')).resolve('playwright-core'));
  const chromium = playwright.chromium ?? playwright.default.chromium;
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu',
           '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
           ...extraArgs],
  });
}
