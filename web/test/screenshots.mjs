// The README's screenshots (docs/images/*.png), from web/dist in headless Chromium:
//   make web && node web/test/screenshots.mjs [OUT_DIR] [FILE...]   (default docs/images, all files)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchChromium } from './chromium.mjs';
import { serve } from './server.mjs';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(webDir, '..', 'docs', 'images'));

const shots = [
  // [file, hash, steps, the panel element to scroll into view (default: the top)]
  ['puma3-slice.png', '#arm=puma3&target=0.45,0.35,0.7', async (page) => {
    await page.check('[data-testid=slice]');
    await page.waitForFunction(() => document.querySelector('[data-testid=slice-status]').dataset.ms);
  }, '#legend'],
  ['puma3-differences.png', '#arm=puma3&target=0.45,0.35,0.7', async (page) => {
    await page.check('[data-testid=slice]');
    await page.waitForFunction(() => document.querySelector('[data-testid=slice-status]').dataset.ms);
    for (const button of ['slice-plane-vertical', 'slice-differ']) {
      await page.evaluate(() => { delete document.querySelector('[data-testid=slice-status]').dataset.ms; });
      await page.click(`[data-testid=${button}]`);
      await page.waitForFunction(() => document.querySelector('[data-testid=slice-status]').dataset.ms);
    }
  }, '#slice-tools'],
  ['kr6.png', '#arm=kr6', async (page) => { await page.click('[data-testid=gizmo-rotate]'); }],
  ['puma3-solutions.png', '#arm=puma3&target=0.35,0.3,0.55&all=1', async () => {}, '#solutions-box'],
  ['kr6-solutions.png', '#arm=kr6&target=0.55,0.2,0.6,0,0.7071068,0,0.7071068&all=1', async () => {}, '#solutions-box'],
  ['planar2-path.png', '#arm=planar2', async (page) => {
    await page.click('[data-testid=mode-path]');
    await page.waitForTimeout(5000);
  }],
  ['classroom-tour.png', '#arm=puma3&target=0.35,0.3,0.55&classroom=1&hide=inference,model,compare,share&tour=3', async () => {}],
  // the model report panel: its training curves, then scrolled to the histogram and heatmap
  ['report-puma3.png', '#arm=puma3', async (page) => {
    await page.click('[data-testid=report-open]');
    await page.waitForSelector('[data-testid=report][data-ready="1"]');
  }],
  ['report-puma3-errors.png', '#arm=puma3', async (page) => {
    await page.click('[data-testid=report-open]');
    await page.waitForSelector('[data-testid=report][data-ready="1"]');
  }, '[data-testid=report-heatmap]'],
  ['share.png', '#arm=planar2&target=0.9,1.2', async (page) => {
    await page.click('[data-testid=share]');
    await page.waitForFunction(() => document.querySelector('[data-testid=share-url]').value);
  }, '[data-section=share]'],
];

fs.mkdirSync(out, { recursive: true });
const server = await serve(path.join(webDir, 'dist'));
const browser = await launchChromium();
const only = process.argv.slice(3);
for (const [file, hash, steps, scrollTo] of shots.filter(([f]) => only.length === 0 || only.includes(f))) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(server.url + hash);
  await page.waitForSelector('[data-testid=joints][data-ready="1"]', { timeout: 30000 });
  await steps(page);
  await page.evaluate((sel) => {
    if (sel) document.querySelector(sel).scrollIntoView({ block: 'center' });
    else document.querySelector('#panel').scrollTo(0, 0);
  }, scrollTo ?? null);
  await page.waitForTimeout(1200);
  await page.screenshot({ path: path.join(out, file) });
  console.log(`screenshots: ${path.join(out, file)}`);
  await page.close();
}
await browser.close();
await server.close();
