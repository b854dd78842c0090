/**
 * The timeline's record of a group call: one `call.event` per call, sent by the device that
 * started it when the call ends for that device (`client.calls.record`) — "missed" when nobody
 * joined within the ring, else "ended" with the time from the first join to that moment.
 */
import type { CallMedia } from "@volly/protocol";
import { sdk } from "../sdk.js";

/** What {@link recordGroupCall} reads of the call. */
export interface RecordedGroupCall {
  callId: string;
  conversationId: string;
  media: CallMedia;
  /** This device started the call (only that device records it). */
  startedByMe: boolean;
  /** When somebody first joined (ms since the epoch); undefined: nobody did. */
  firstJoinAt?: number;
}

/** Records the call in its conversation's timeline (best effort: a failure is dropped). */
export async function recordGroupCall(call: RecordedGroupCall, now = Date.now()): Promise<void> {
  if (!call.startedByMe) return;
  const outcome = call.firstJoinAt === undefined ? "missed" : "ended";
  const durationMs = call.firstJoinAt === undefined ? undefined : Math.max(0, now - call.firstJoinAt);
  await sdk.calls
    .record(call.conversationId, {
      callId: call.callId,
      media: call.media,
      outcome,
      ...(durationMs === undefined ? {} : { durationMs }),
    })
    .catch(() => undefined);
}
