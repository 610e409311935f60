// The 3D view (three.js): the arm drawn from the core's link frames, a translucent ghost of the
// network's raw answer, the target with its gizmo, the tool marker, the workspace slice, the
// path traces and, on request, every IK solution as a labelled ghost. World is the robot's: z up,
// metres.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { TransformControls } from 'three/addons/controls/TransformControls.js';
import { Line2 } from 'three/addons/lines/Line2.js';
import { LineGeometry } from 'three/addons/lines/LineGeometry.js';
import { LineMaterial } from 'three/addons/lines/LineMaterial.js';

THREE.Object3D.DEFAULT_UP.set(0, 0, 1);

const Y = new THREE.Vector3(0, 1, 0);

// one arm's meshes: a cylinder per link segment and per joint, placed from frames + joint axes
class ArmMeshes {
  // a ghost is translucent and one colour (links and joints); the arm is orange on dark joints
  constructor(scene, dof, radius, { ghost = false, colour = ghost ? 0x2457d6 : 0xf08a24, opacity = 0.28 } = {}) {
    this.group = new THREE.Group();
    this.radius = radius;
    if (!ghost) opacity = 1;
    const link = new THREE.MeshStandardMaterial({ color: colour, roughness: 0.55, metalness: 0.1,
                                                  transparent: ghost, opacity, depthWrite: !ghost });
    const joint = new THREE.MeshStandardMaterial({ color: ghost ? colour : 0x2b3645, roughness: 0.4, metalness: 0.2,
                                                   transparent: ghost, opacity, depthWrite: !ghost });
    this.materials = [link, joint];
    const cylinder = new THREE.CylinderGeometry(1, 1, 1, 24);
    // segments: base -> joint 1 -> frame 1 -> joint 2 -> ... -> frame n -> tool
    this.links = Array.from({ length: 2 * dof + 1 }, () => new THREE.Mesh(cylinder, link));
    this.joints = Array.from({ length: dof }, () => new THREE.Mesh(cylinder, joint));
    for (const m of [...this.links, ...this.joints]) this.group.add(m);
    if (!ghost) {
      const base = new THREE.Mesh(new THREE.CylinderGeometry(radius * 3, radius * 3.4, radius * 1.2, 32), joint);
      base.quaternion.setFromUnitVectors(Y, new THREE.Vector3(0, 0, 1));
      base.position.z = -radius * 0.6;
      this.base = base;
      this.group.add(base);
      this.toolAxes = new THREE.AxesHelper(radius * 5);
      this.toolAxes.matrixAutoUpdate = false;
      this.group.add(this.toolAxes);
    }
    scene.add(this.group);
  }

  // frames: Float64Array 16 (n + 2), axes: Float64Array 6 n (docs/js-api.md)
  update(frames, axes) {
    const n = this.joints.length;
    const origin = (k) => new THREE.Vector3(frames[16 * k + 12], frames[16 * k + 13], frames[16 * k + 14]);
    const points = [origin(0)];
    for (let i = 0; i < n; ++i) points.push(new THREE.Vector3(axes[6 * i], axes[6 * i + 1], axes[6 * i + 2]), origin(i + 1));
    points.push(origin(n + 1));
    for (let s = 0; s < this.links.length; ++s) placeCylinder(this.links[s], points[s], points[s + 1], this.radius);
    for (let i = 0; i < n; ++i) {
      const p = points[1 + 2 * i];
      const a = new THREE.Vector3(axes[6 * i + 3], axes[6 * i + 4], axes[6 * i + 5]);
      const h = this.radius * 2.6;
      placeCylinder(this.joints[i], p.clone().addScaledVector(a, -h / 2), p.clone().addScaledVector(a, h / 2), this.radius * 1.55);
    }
    if (this.base) this.base.position.set(points[0].x, points[0].y, points[0].z - this.radius * 0.6);
    if (this.toolAxes) this.toolAxes.matrix.fromArray(frames, 16 * (n + 1));
  }

  set visible(v) {
    this.group.visible = v;
  }

  dispose(scene) {
    scene.remove(this.group);
    this.group.traverse((o) => o.geometry?.dispose());
    for (const m of this.materials) m.dispose();
  }
}

// a unit cylinder (along y) stretched from a to b; hidden when a and b coincide
function placeCylinder(mesh, a, b, radius) {
  const d = new THREE.Vector3().subVectors(b, a);
  const length = d.length();
  mesh.visible = length > 1e-6;
  if (!mesh.visible) return;
  mesh.position.copy(a).addScaledVector(d, 0.5);
  mesh.quaternion.setFromUnitVectors(Y, d.divideScalar(length));
  mesh.scale.set(radius, length, radius);
}

export class View {
  constructor(container) {
    this.container = container;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.setClearColor(0xeef1f5);
    container.append(this.renderer.domElement);

    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(45, 1, 0.01, 100);
    this.orbit = new OrbitControls(this.camera, this.renderer.domElement);
    this.orbit.enableDamping = true;

    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a93a0, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 2.0);
    sun.position.set(2, -3, 5);
    this.scene.add(sun);

    // the target: a sphere coloured by feasibility class, axes when orientation matters
    this.target = new THREE.Group();
    this.targetBall = new THREE.Mesh(new THREE.SphereGeometry(1, 24, 16),
                                     new THREE.MeshStandardMaterial({ color: 0x888888, transparent: true, opacity: 0.85 }));
    this.targetAxes = new THREE.AxesHelper(1);
    this.target.add(this.targetBall, this.targetAxes);
    this.scene.add(this.target);

    this.gizmo = new TransformControls(this.camera, this.renderer.domElement);
    this.gizmo.attach(this.target);
    this.gizmo.setSpace('world');
    this.scene.add(this.gizmo.getHelper());
    this.gizmo.addEventListener('dragging-changed', (e) => {
      this.orbit.enabled = !e.value;
      this.dragging = e.value;
    });

    // where the answer puts the tool, and the gap to the target
    this.toolMarker = new THREE.Mesh(new THREE.SphereGeometry(1, 16, 12), new THREE.MeshBasicMaterial({ color: 0x111111 }));
    this.gap = new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3()]),
                              new THREE.LineBasicMaterial({ color: 0x111111 }));
    this.scene.add(this.toolMarker, this.gap);

    // workspace slice: a 64 x 64 texture on a plane
    this.sliceTexture = null;
    this.slice = new THREE.Mesh(new THREE.PlaneGeometry(1, 1),
                                new THREE.MeshBasicMaterial({ transparent: true, opacity: 0.72, side: THREE.DoubleSide, depthWrite: false }));
    this.slice.matrixAutoUpdate = false;
    this.slice.visible = false;
    this.slice.renderOrder = -1;
    this.scene.add(this.slice);

    // path: the wanted path (dashed) and the tool's actual trace (coloured by error), as wide
    // lines (WebGL draws plain lines 1 pixel wide)
    this.pathLine = new Line2(new LineGeometry(), new LineMaterial({ color: 0x3d4756, linewidth: 2.5, dashed: true, dashSize: 0.02, gapSize: 0.012 }));
    this.traceLine = new Line2(new LineGeometry(), new LineMaterial({ vertexColors: true, linewidth: 4.5 }));
    this.pathLine.visible = this.traceLine.visible = false;
    this.waypoints = new THREE.Group();
    this.scene.add(this.pathLine, this.traceLine, this.waypoints);

    // every IK solution of the target: a pool of ghosts (one colour each) and their labels, HTML
    // over the canvas placed at each ghost's elbow
    this.solutionGhosts = [];
    this.solutionLabels = [];
    this.solutionAnchors = [];
    this.labelLayer = document.createElement('div');
    this.labelLayer.className = 'ghost-labels';
    container.append(this.labelLayer);
    this.labelView = null;

    this.grid = null;
    this.axes = null;
    this.arm = null;
    this.ghost = null;
    this.resize();
    new ResizeObserver(() => this.resize()).observe(container);
  }

  resize() {
    const w = this.container.clientWidth || 800, h = this.container.clientHeight || 600;
    this.renderer.setSize(w, h);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
  }

  // a new arm: meshes, grid and camera scaled to its reach (m)
  setArm(dof, reach, planar) {
    for (const m of [this.arm, this.ghost]) m?.dispose(this.scene);
    this.setSolutions([]);
    for (const g of this.solutionGhosts) g.dispose(this.scene);
    this.solutionGhosts = [];
    this.solutionDof = dof;
    for (const o of [this.grid, this.axes]) if (o) this.scene.remove(o);
    this.reach = reach;
    const r = reach * 0.022;
    this.arm = new ArmMeshes(this.scene, dof, r);
    this.ghost = new ArmMeshes(this.scene, dof, r * 1.02, { ghost: true });
    this.ghost.visible = false;
    // a second model's answer on the same target (compare.js), in its own colour
    this.compareArm?.dispose(this.scene);
    this.compareArm = new ArmMeshes(this.scene, dof, r * 0.92, { colour: 0x12877a });
    this.compareArm.visible = false;
    const step = reach > 1.2 ? 0.25 : reach > 0.5 ? 0.1 : 0.05;
    const size = Math.ceil((reach * 2.6) / step) * step;
    this.grid = new THREE.GridHelper(size, Math.round(size / step), 0x9aa4b2, 0xcfd5de);
    this.grid.rotation.x = Math.PI / 2;
    this.axes = new THREE.AxesHelper(reach * 0.3);
    this.scene.add(this.grid, this.axes);
    this.targetBall.scale.setScalar(reach * 0.035);
    this.targetAxes.scale.setScalar(reach * 0.14);
    this.toolMarker.scale.setScalar(reach * 0.014);
    this.gizmo.size = 0.9;
    this.pathLine.material.dashSize = reach * 0.03;
    this.pathLine.material.gapSize = reach * 0.02;
    // camera: planar arms from above, spatial arms from the front-right
    this.orbit.target.set(0, 0, planar ? 0 : reach * 0.35);
    if (planar) this.camera.position.set(0.12 * reach, -0.9 * reach, 2.1 * reach);
    else this.camera.position.set(1.45 * reach, -1.45 * reach, 1.05 * reach);
    this.orbit.update();
  }

  setPose(meshes, frames, axes) {
    meshes.update(frames, axes);
  }

  setTargetPose(position, quaternion) {
    this.target.position.set(position[0], position[1], position[2] ?? 0);
    if (quaternion) this.target.quaternion.set(quaternion[0], quaternion[1], quaternion[2], quaternion[3]);
    else this.target.quaternion.identity();
  }

  setToolMarker(position) {
    this.toolMarker.position.set(position[0], position[1], position[2]);
    const g = this.gap.geometry.attributes.position;
    g.setXYZ(0, this.target.position.x, this.target.position.y, this.target.position.z);
    g.setXYZ(1, position[0], position[1], position[2]);
    g.needsUpdate = true;
    this.gap.geometry.computeBoundingSphere();
  }

  setTargetColour(hex) {
    this.targetBall.material.color.set(hex);
  }

  // rgba: Uint8Array 4 * size * size; basis: {centre, u, v} (world, u and v span the plane)
  setSlice(rgba, size, basis) {
    if (!this.sliceTexture || this.sliceTexture.image.width !== size) {
      this.sliceTexture?.dispose();
      this.sliceTexture = new THREE.DataTexture(new Uint8Array(4 * size * size), size, size, THREE.RGBAFormat);
      this.sliceTexture.magFilter = THREE.NearestFilter;
      this.sliceTexture.colorSpace = THREE.SRGBColorSpace;
      this.slice.material.map = this.sliceTexture;
      this.slice.material.needsUpdate = true;
    }
    this.sliceTexture.image.data.set(rgba);
    this.sliceTexture.needsUpdate = true;
    const u = new THREE.Vector3(...basis.u), v = new THREE.Vector3(...basis.v);
    const normal = new THREE.Vector3().crossVectors(u, v).normalize();
    this.slice.matrix.makeBasis(u, v, normal).setPosition(new THREE.Vector3(...basis.centre));
    this.slice.matrixWorldNeedsUpdate = true;
    this.slice.visible = true;
  }

  setPath(points) {
    this.pathLine.visible = points.length >= 2;
    if (!this.pathLine.visible) return;
    this.pathLine.geometry.dispose();
    this.pathLine.geometry = new LineGeometry().setPositions(points.flatMap((p) => [p[0], p[1], p[2] ?? 0]));
    this.pathLine.computeLineDistances();
  }

  setTrace(points, colours) {
    this.traceLine.visible = points.length >= 2;
    if (!this.traceLine.visible) return;
    this.traceLine.geometry.dispose();
    const g = new LineGeometry();
    g.setPositions(points.flat());
    g.setColors(colours.flat());
    this.traceLine.geometry = g;
  }

  setWaypoints(points, colours) {
    this.waypoints.traverse((o) => o.geometry?.dispose());
    this.waypoints.clear();
    for (const [i, p] of points.entries()) {
      const m = new THREE.Mesh(new THREE.SphereGeometry(this.reach * 0.014, 12, 8), new THREE.MeshBasicMaterial({ color: colours?.[i] ?? 0x2457d6 }));
      m.position.set(p[0], p[1], p[2]);
      this.waypoints.add(m);
    }
  }

  // the world point under a click on the plane through `point` with normal `normal`
  pick(event, point, normal) {
    const rect = this.renderer.domElement.getBoundingClientRect();
    const ndc = new THREE.Vector2(((event.clientX - rect.left) / rect.width) * 2 - 1, -((event.clientY - rect.top) / rect.height) * 2 + 1);
    const ray = new THREE.Raycaster();
    ray.setFromCamera(ndc, this.camera);
    const plane = new THREE.Plane().setFromNormalAndCoplanarPoint(new THREE.Vector3(...normal), new THREE.Vector3(...point));
    const hit = ray.ray.intersectPlane(plane, new THREE.Vector3());
    return hit ? [hit.x, hit.y, hit.z] : null;
  }

  // solutions: [{frames, axes, colour ('#rrggbb'), label}] (frames and axes as for setPose);
  // an empty list hides them all
  setSolutions(solutions) {
    while (this.solutionGhosts.length < solutions.length)
      this.solutionGhosts.push(new ArmMeshes(this.scene, this.solutionDof, this.reach * 0.022 * 1.04, { ghost: true, opacity: 0.4 }));
    this.solutionGhosts.forEach((g, i) => {
      const s = solutions[i];
      g.visible = !!s;
      if (!s) return;
      // a little of the colour as glow: lit translucent colours wash out to grey
      for (const m of g.materials) {
        m.color.set(s.colour);
        m.emissive.set(s.colour).multiplyScalar(0.35);
      }
      g.update(s.frames, s.axes);
    });
    this.solutionLabels.forEach((el) => el.remove());
    this.solutionLabels = solutions.map((s) => {
      const el = document.createElement('div');
      el.className = 'ghost-label';
      el.style.borderColor = s.colour;
      const swatch = document.createElement('i');
      swatch.style.background = s.colour;
      el.append(swatch, s.label);
      this.labelLayer.append(el);
      return el;
    });
    // the elbow (the third joint's axis point; planar2's second): where branches differ most
    this.solutionAnchors = solutions.map((s) => {
      const k = Math.min(2, this.solutionDof - 1);
      return new THREE.Vector3(s.axes[6 * k], s.axes[6 * k + 1], s.axes[6 * k + 2]);
    });
    this.labelView = null;  // place them at the next render
  }

  // the labels at their anchors' screen points, pushed apart vertically where they would
  // overlap; only when the camera, the canvas or the labels changed since the last placement
  placeLabels() {
    if (this.solutionLabels.length === 0) return;
    const w = this.container.clientWidth, h = this.container.clientHeight;
    const key = [...this.camera.matrixWorld.elements, w, h];
    if (this.labelView && key.every((v, i) => v === this.labelView[i])) return;
    this.labelView = key;
    const boxes = this.solutionAnchors.map((p, i) => {
      const v = p.clone().project(this.camera), el = this.solutionLabels[i];
      return { el, x: ((v.x + 1) / 2) * w + 10, y: ((1 - v.y) / 2) * h - el.offsetHeight / 2,
               w: el.offsetWidth, h: el.offsetHeight, behind: v.z > 1 };
    }).sort((a, b) => a.y - b.y);
    const placed = [];
    for (const b of boxes) {
      for (const p of placed)
        if (b.x < p.x + p.w && p.x < b.x + b.w && b.y < p.y + p.h + 2) b.y = p.y + p.h + 2;
      placed.push(b);
      b.el.style.transform = `translate(${Math.round(b.x)}px, ${Math.round(b.y)}px)`;
      b.el.hidden = b.behind;
    }
  }

  render() {
    this.orbit.update();
    this.renderer.render(this.scene, this.camera);
    this.placeLabels();
  }
}
