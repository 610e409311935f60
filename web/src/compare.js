// Two models on the same target (docs/classroom.md): a second JSON model, from a file, a URL
// (`compare=`) or inside the link (`comparedata=`), answers every target the first one does; its
// arm is drawn beside the first in its own colour and the panel shows both errors.
import { WasmBackend, makeTween, tweenAt } from './backends.js';
import { decodeModel, encodeModel } from './modelcodec.js';
import { ModelLoadError, checkModelSize, otherArmError } from './remote.js';
import { rawModelUrl } from './state.js';

const $ = (id) => document.getElementById(id);
// a file's model goes into the hash only while that keeps the hash short enough to rewrite often
const HASH_INLINE_LIMIT = 400 * 1024;

export class ComparePanel {
  constructor(app, hooks) {
    this.app = app;
    this.hooks = hooks;
    this.backend = null;
    this.source = null;  // {url} | {data}
    this.q = null;
    this.tween = null;
    $('compare-file').addEventListener('change', async () => {
      const f = $('compare-file').files[0];
      $('compare-file').value = '';
      if (f) await this.load({ name: f.name, file: f });
    });
    $('compare-url-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const url = $('compare-url').value.trim();
      if (url) this.load({ url });
    });
    $('compare-off').addEventListener('click', () => {
      this.clear();
      hooks.writeHash();
    });
  }

  linkState() {
    return { compare: this.source?.url ?? null, compareData: this.source?.data ?? null };
  }

  // the second model named by a link, or none
  async apply(state) {
    if (state.compare) await this.load({ url: state.compare });
    else if (state.compareData) await this.load({ data: state.compareData });
    else this.clear();
  }

  // {url} | {data: modeldata} | {name, file: File}
  async load(src) {
    this.clear();
    const app = this.app;
    const name = src.url ? rawModelUrl(src.url) : src.name ?? 'the second model in this link';
    try {
      let text;
      if (src.url) {
        const { info } = await this.hooks.fetchModel(name);
        if (info.type !== 'json') throw new ModelLoadError('not-a-model', `compare: ${name}: comparing needs the JSON model, not an .onnx file`);
        text = info.text;
      } else if (src.file) {
        checkModelSize(src.file.size, name);
        text = await src.file.text();
      } else text = decodeModel(src.data);
      const armName = JSON.parse(text).arm?.name;
      if (armName && armName !== app.armName) throw otherArmError(name, armName, app.armName);
      this.backend = new WasmBackend(app.NK, text, app.arm, name);
      if (src.url) this.source = { url: name };
      else {
        const data = src.data ?? encodeModel(text).data;
        this.source = data.length <= HASH_INLINE_LIMIT ? { data } : null;
      }
      this.label = src.data ? 'second model from the link (float16)' : name.split('/').pop();
    } catch (e) {
      this.clear();
      this.hooks.showError(e instanceof ModelLoadError ? e.message : `compare: ${name}: ${e.message}`);
    }
    $('model-progress').hidden = true;
    this.update(app.target);
    this.hooks.writeHash();
  }

  clear() {
    this.backend?.dispose();
    this.backend = null;
    this.source = null;
    this.q = null;
    this.tween = null;
    if (this.app.view.compareArm) this.app.view.compareArm.visible = false;
    $('compare-table').hidden = true;
    $('compare-labels').hidden = true;
    $('compare-off').hidden = true;
  }

  // the second model's answer for target: its arm moves there, both errors are shown
  update(target) {
    const app = this.app;
    if (!this.backend || !target) return;
    const arm = app.arm;
    const q = arm.wrapIntoLimits(this.backend.predict(target)).q;
    const [pos, rot] = arm.taskErrors(target, q, 1);
    const hasRot = arm.task === 'pose' || arm.task === 'position_pitch';
    const text = `${this.hooks.fmtMm(pos * 1000)} mm${hasRot ? ` / ${((rot * 180) / Math.PI).toFixed(2)}°` : ''}`;
    this.tween = makeTween(this.q ?? q, q, app.clock.now);
    this.q = q;
    app.view.compareArm.visible = app.mode !== 'path';
    const a = $('compare-table').querySelector('[data-side=a]'), b = $('compare-table').querySelector('[data-side=b]');
    a.querySelector('.name').textContent = app.model?.label ?? 'closed-form IK';
    b.querySelector('.name').textContent = this.label;
    $('compare-error-a').textContent = `${$('tool-error-mm').textContent} mm${hasRot ? ` / ${$('tool-error-deg').textContent}` : ''}`;
    $('compare-error-b').textContent = text;
    $('compare-error-b').dataset.mm = String(pos * 1000);
    $('compare-error-b').dataset.q = Array.from(q, (v) => v.toFixed(6)).join(',');
    $('compare-label-a').textContent = `orange: ${a.querySelector('.name').textContent}, ${$('compare-error-a').textContent}`;
    $('compare-label-b').textContent = `teal: ${this.label}, ${text}`;
    $('compare-table').hidden = false;
    $('compare-labels').hidden = false;
    $('compare-off').hidden = false;
  }

  // the second arm's animation, on the page's clock
  step(now) {
    if (!this.tween || !this.backend) return;
    const { q, done } = tweenAt(this.tween, now);
    this.hooks.drawArm(q, this.app.view.compareArm);
    if (done) this.tween = null;
  }
}
