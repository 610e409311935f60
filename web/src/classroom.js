// Classroom mode (docs/classroom.md): a teacher's link (`classroom=1&hide=...`) gives large type
// and only the chosen panel sections; a guided tour in five steps, keyboard-steppable; and the
// transport (play / pause / step / speed) that drives every animation through one clock.
import { SPEEDS } from './state.js';

const $ = (id) => document.getElementById(id);

// the animations' time (ms): follows the page's frames at `speed` while playing, stands still
// while paused, and moves by one step on request
export class Clock {
  constructor() {
    this.now = 0;
    this.last = null;
    this.speed = 1;
    this.playing = true;
    this.pending = 0;
  }
  tick(frameTime) {
    if (this.last !== null && this.playing) this.now += Math.min(100, frameTime - this.last) * this.speed;
    this.now += this.pending;
    this.pending = 0;
    this.last = frameTime;
    return this.now;
  }
  // one step: a tenth of a second of animation, whatever the speed
  step() {
    this.pending += 100;
  }
  setSpeed(speed) {
    this.speed = speed;
  }
}

// the tour: each step says one idea and sets the view up to show it; `focus` is the panel
// section to point at
const STEPS = [
  {
    title: 'Forward kinematics: joints → tool',
    focus: 'mode',
    text: () => 'Each joint turns by an angle. Given all the angles, the arm\'s geometry fixes where the tool ends up: ' +
      'that is forward kinematics, and it has exactly one answer. Move a joint slider and watch the tool.',
    show: (app, hooks) => hooks.setMode('fk'),
  },
  {
    title: 'Inverse kinematics: tool → joints',
    focus: 'target',
    text: () => 'Now the other way round: we say where the tool should be (the coloured ball) and ask for joint angles ' +
      'that put it there. Drag the target: the arm follows. This question is inverse kinematics, and it is the hard one.',
    show: (app, hooks) => hooks.setMode('ik'),
  },
  {
    title: 'Why there are several answers',
    focus: 'solutions',
    text: () => 'Most targets can be reached in more than one way: elbow up or down, the base facing the target or turned ' +
      'away. Each ghost arm is one of these solutions; all of them put the tool on the target.',
    show: (app, hooks) => {
      hooks.setMode('ik');
      app.allSolutions = true;
      $('all-solutions').checked = true;
      hooks.updateSolutions();
    },
  },
  {
    title: 'What the network learned',
    focus: 'target',
    text: (app) => {
      const test = app.wasm?.model.metadata?.()?.metrics?.test;
      const figures = test ? ` On ${test.n.toLocaleString('en')} targets it never saw in training it is ${test.position_mean_mm.toFixed(2)} mm off on average.` : '';
      return 'A neural network was shown hundreds of thousands of (target, joint angles) pairs and learned to answer ' +
        `in one quick step, always choosing the same kind of solution so it never averages two.${figures} ` +
        'The number under Target is how far its answer puts the tool from the target; "Refine" polishes it with a classic solver.';
    },
    show: (app, hooks) => {
      hooks.setMode('ik');
      app.allSolutions = false;
      $('all-solutions').checked = false;
      hooks.updateSolutions();
    },
  },
  {
    title: 'What the colours mean',
    focus: 'feasibility',
    text: () => 'The target\'s colour says how well the arm can reach it. Grey: out of reach. Red: near a singular pose, ' +
      'where small moves of the tool need huge joint moves. Yellow: fine. Green: the arm moves freely in every direction there.',
    show: (app, hooks) => hooks.setMode('ik'),
  },
];

class Tour {
  constructor(app, hooks) {
    this.app = app;
    this.hooks = hooks;
    this.step = 0;  // 0: closed, else 1..STEPS.length
    $('tour-open').addEventListener('click', () => this.open(1));
    $('tour-next').addEventListener('click', () => this.go(this.step + 1));
    $('tour-prev').addEventListener('click', () => this.go(this.step - 1));
    $('tour-close').addEventListener('click', () => this.close());
    // a presenter's clicker sends PageDown / PageUp; arrows from the keyboard
    window.addEventListener('keydown', (e) => {
      if (!this.step || /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) return;
      if (e.key === 'ArrowRight' || e.key === 'PageDown') this.go(this.step + 1);
      else if (e.key === 'ArrowLeft' || e.key === 'PageUp') this.go(this.step - 1);
      else if (e.key === 'Escape') this.close();
      else return;
      e.preventDefault();
    });
  }

  get count() {
    return STEPS.length;
  }

  open(step) {
    this.go(Math.min(Math.max(1, step), STEPS.length));
  }

  go(step) {
    if (step < 1 || step > STEPS.length) return;
    this.step = step;
    const s = STEPS[step - 1];
    s.show(this.app, this.hooks);
    const card = $('tour');
    card.hidden = false;
    card.dataset.step = String(step);
    $('tour-count').textContent = `Step ${step} of ${STEPS.length}`;
    $('tour-title').textContent = s.title;
    $('tour-text').textContent = s.text(this.app);
    $('tour-prev').disabled = step === 1;
    $('tour-next').disabled = step === STEPS.length;
    document.querySelectorAll('#panel section').forEach((el) => el.classList.toggle('tour-focus', el.dataset.section === s.focus));
    document.querySelector(`#panel section[data-section=${s.focus}]`)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    this.hooks.writeHash();
  }

  close() {
    this.step = 0;
    $('tour').hidden = true;
    delete $('tour').dataset.step;
    document.querySelectorAll('#panel section').forEach((el) => el.classList.remove('tour-focus'));
    this.hooks.writeHash();
  }
}

export class Classroom {
  constructor(app, hooks) {
    this.app = app;
    this.hooks = hooks;
    this.on = false;
    this.hidden = [];
    this.tour = new Tour(app, hooks);
    $('classroom-exit').addEventListener('click', () => {
      this.apply({ speed: app.clock.speed });
      hooks.writeHash();
    });
    this.buildTransport();
  }

  // classroom=1 and hide=... from a link (state.js)
  apply({ classroom = false, hide = [], speed = 1 }) {
    this.app.clock.setSpeed(speed);
    this.showSpeed();
    this.on = classroom;
    this.hidden = hide;
    document.body.classList.toggle('classroom', classroom);
    $('classroom-exit').hidden = !classroom;
    document.querySelectorAll('#panel section[data-section]').forEach((el) => {
      el.hidden = hide.includes(el.dataset.section);
    });
  }

  linkState() {
    return { classroom: this.on, hide: this.hidden, tour: this.tour.step || null, speed: this.app.clock.speed };
  }

  buildTransport() {
    const clock = this.app.clock;
    const play = $('transport-play');
    const setPlaying = (playing) => {
      clock.playing = playing;
      play.textContent = playing ? 'Pause' : 'Play';
      play.classList.toggle('on', !playing);
      $('transport').dataset.playing = playing ? '1' : '0';
    };
    setPlaying(true);
    play.addEventListener('click', () => setPlaying(!clock.playing));
    $('transport-step').addEventListener('click', () => {
      setPlaying(false);
      clock.step();
    });
    const speeds = $('transport-speed');
    for (const s of SPEEDS) {
      const b = document.createElement('button');
      b.className = 'small';
      b.textContent = `${s}×`;
      b.dataset.speed = String(s);
      b.dataset.testid = `transport-speed-${s}`;
      b.addEventListener('click', () => {
        clock.setSpeed(s);
        this.showSpeed();
        this.hooks.writeHash();
      });
      speeds.append(b);
    }
    this.showSpeed();
    // space: play / pause; '.': one step (not while typing or on a focused button)
    window.addEventListener('keydown', (e) => {
      if (/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(e.target.tagName)) return;
      if (e.key === ' ') setPlaying(!clock.playing);
      else if (e.key === '.') $('transport-step').click();
      else return;
      e.preventDefault();
    });
  }

  showSpeed() {
    document.querySelectorAll('#transport-speed button').forEach((b) => b.classList.toggle('on', Number(b.dataset.speed) === this.app.clock.speed));
  }
}
