/** How sizes, speeds and durations of files read in the UI. */

const UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** `bytes` as "812 B", "1.4 MB", "23 MB" (decimal units, as file managers show them). */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** An upload speed: "1.2 MB/s"; "" while unknown (0). */
export function formatSpeed(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : "";
}

/** A length as "0:07", "3:41", "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A whole percentage 0–100 of `part` in `whole` (0 for an empty whole). */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.max(0, Math.floor((part / whole) * 100)));
}

/** Bytes as MiB, the unit the server's limits are configured in: 104857600 → "100 MiB". */
export function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** A storage size in binary units: GiB from 1 GiB up ("10 GiB"), else {@link formatMiB}. */
export function formatStorage(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib < 1) return formatMiB(bytes);
  return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
}
