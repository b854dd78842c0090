/**
 * The calls' debug settings, read by the 1:1 and the group call stores: the e2e tests set
 * `localStorage["volly.debug.calls"] = "1"` to get the stores' debug handles on `window` and a
 * shorter ring.
 */

/** How long a call rings before it counts as missed (ms). */
export const RING_TIMEOUT_MS = 45_000;

/** The debug setting that shortens the ring (ms), read only with the debug flag (e2e tests). */
const RING_TIMEOUT_KEY = "volly.debug.calls.ringMs";

/** The debug flag: `localStorage["volly.debug.calls"] === "1"` (set by the e2e tests). */
export function debugEnabled(): boolean {
  try {
    return localStorage.getItem("volly.debug.calls") === "1";
  } catch {
    return false;
  }
}

/**
 * How long a call rings here (ms): {@link RING_TIMEOUT_MS}, or with the debug flag a positive
 * `localStorage["volly.debug.calls.ringMs"]` (the e2e tests' missed call rings for seconds).
 */
export function ringTimeoutMs(): number {
  if (!debugEnabled()) return RING_TIMEOUT_MS;
  try {
    const ms = Number(localStorage.getItem(RING_TIMEOUT_KEY));
    return Number.isFinite(ms) && ms > 0 ? ms : RING_TIMEOUT_MS;
  } catch {
    return RING_TIMEOUT_MS;
  }
}

/** What the group call debug handle (`window.__vollyGroupCall`, debug flag only) offers tests. */
export interface GroupCallDebugHandle {
  /** The peer devices with a link, and whose they are. */
  peers(): { deviceId: string; name: string }[];
  /** The peer connection to one of them (for getStats). */
  pc(deviceId: string): RTCPeerConnection | undefined;
  /** The frame-crypto worker's counts (`FrameCryptoStats`), or undefined without a call. */
  frameStats(): Promise<unknown>;
  /** The MLS epoch whose keys seal this device's frames (re-keyed when the group changes). */
  epoch(): number | undefined;
  /** Restarts ICE on the link to one peer now (only when this device is the pair's offerer). */
  restartIce(deviceId: string): Promise<void>;
  /** How many ICE restarts this device began on the link to one peer. */
  iceRestarts(deviceId: string): number;
}

/** Puts the group call debug handle on `window.__vollyGroupCall` when the debug flag is set. */
export function exposeGroupCallDebug(handle: GroupCallDebugHandle): void {
  if (debugEnabled())
    (globalThis as unknown as { __vollyGroupCall: GroupCallDebugHandle }).__vollyGroupCall = handle;
}
