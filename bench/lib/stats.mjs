/**
 * Small statistics helpers shared by the benchmark workloads.
 */

/** { min, median, max } of a non-empty list of numbers. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

/** The p-th percentile (0–100, nearest rank) of a list of numbers; NaN for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Least-squares line through the points (xs[i], ys[i]).
 * @param {number[]} xs
 * @param {number[]} ys
 * @returns {{ slope: number, intercept: number }} NaN for both with fewer than two points
 */
export function linearFit(xs, ys) {
  const n = xs.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  const slope = num / den;
  return { slope, intercept: my - slope * mx };
}

/** Mean of a list of numbers. */
export function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Runs `fn` `n` times and returns each run's duration (ms). */
export async function timeEach(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    out.push(performance.now() - start);
  }
  return out;
}
