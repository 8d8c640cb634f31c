// Paths between two latent codes, as vae_core.latent.lerp / slerp compute them (float64 maths, float32
// results; tests/e2e/test_interpolation_strip.py holds the two within 1e-5).

function linspace(steps) {
  return Array.from({ length: steps }, (_, i) => (steps === 1 ? 0 : i / (steps - 1)));
}

/** Straight line from z0 to z1 -> steps Float32Arrays; endpoints exact. */
export function lerp(z0, z1, steps) {
  return linspace(steps).map((t) => Float32Array.from(z0, (v, j) => (1 - t) * v + t * z1[j]));
}

/** Great-circle path from z0 to z1: the direction moves along the circle, the norm changes linearly.
 * Zero, parallel or opposite vectors have no unique circle: lerp then. */
export function slerp(z0, z1, steps, eps = 1e-6) {
  const norm = (z) => Math.sqrt(z.reduce((s, v) => s + v * v, 0));
  const n0 = norm(z0), n1 = norm(z1);
  if (n0 < eps || n1 < eps) return lerp(z0, z1, steps);
  const u0 = Array.from(z0, (v) => v / n0), u1 = Array.from(z1, (v) => v / n1);
  const omega = Math.acos(Math.min(1, Math.max(-1, u0.reduce((s, v, j) => s + v * u1[j], 0))));
  if (Math.sin(omega) < eps) return lerp(z0, z1, steps);
  const out = linspace(steps).map((t) => {
    const a = Math.sin((1 - t) * omega) / Math.sin(omega), b = Math.sin(t * omega) / Math.sin(omega);
    const r = (1 - t) * n0 + t * n1;
    return Float32Array.from(u0, (v, j) => r * (a * v + b * u1[j]));
  });
  out[0] = Float32Array.from(z0);
  out[steps - 1] = Float32Array.from(z1); // exact endpoints despite rounding
  return out;
}

export const PATHS = { lerp, slerp };
