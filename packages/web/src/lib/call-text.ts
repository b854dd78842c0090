import type { CallBody } from "../worker/rpc-types.js";

/**
 * A call's record as the timeline says it: "Missed call", "Declined video call", "Video call, 3:12"
 * (minutes and seconds from the answer to the hang-up; hours first when it lasted that long).
 */
export function callText(body: CallBody): string {
  const kind = body.media === "video" ? "video call" : "call";
  if (body.outcome === "missed") return `Missed ${kind}`;
  if (body.outcome === "declined") return `Declined ${kind}`;
  const name = `${kind.charAt(0).toUpperCase()}${kind.slice(1)}`;
  return body.durationMs === undefined ? name : `${name}, ${callDuration(body.durationMs)}`;
}

/** A duration (ms) as `m:ss`, or `h:mm:ss` from an hour on. */
export function callDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds / 60) % 60;
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}
