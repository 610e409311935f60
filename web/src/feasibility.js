// The four feasibility classes (PRODUCT.md), in the core's class order, with the colour the
// page uses for each and the one sentence the legend says about it.
export const CLASSES = [
  { name: 'unreachable', label: 'Unreachable', colour: '#7a7f87',
    text: 'No joint configuration within the limits puts the tool here.' },
  { name: 'near_singular', label: 'Near-singular', colour: '#d7301f',
    text: 'Reachable, but close to a singularity: small target moves need large joint moves.' },
  { name: 'adequate', label: 'Adequate', colour: '#f0a202',
    text: 'Reachable with ordinary conditioning (the middle 60% of the arm\'s configurations).' },
  { name: 'high_manipulability', label: 'High manipulability', colour: '#1a9850',
    text: 'Reachable in a well-conditioned configuration: the arm moves freely in every direction.' },
];

export function classByName(name) {
  return CLASSES.find((c) => c.name === name) ?? CLASSES[0];
}

// an error in mm -> an RGB colour on a green (0) - yellow - red (max) scale
export function errorColour(mm, maxMm) {
  const t = Math.min(1, Math.max(0, mm / maxMm));
  const stops = [[0x1a, 0x98, 0x50], [0xfe, 0xe0, 0x8b], [0xd7, 0x30, 0x27]];
  const s = t < 0.5 ? 0 : 1, u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
  return stops[s].map((a, i) => Math.round(a + (stops[s + 1][i] - a) * u));
}

export function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
