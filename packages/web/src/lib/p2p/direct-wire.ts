/**
 * The messages between the SDK worker's {@link DirectPeerFactory} proxy (`worker/direct-peers.ts`)
 * and the UI thread's WebRTC host (`browser-peers.ts`), over a dedicated MessageChannel: Chromium
 * has no RTCPeerConnection in workers, so the worker asks the UI thread to make each connection and
 * its data channel, and the two shuttle text frames and close events. Each connection has a number
 * the worker chose (`id`). Both sides check every message's shape ({@link parsePeerRequest},
 * {@link parsePeerEvent}) and ignore what does not fit.
 *
 * @see DirectPeerFactory (packages/client/src/p2p/direct-channel.ts)
 */

/** An ICE server as `RTCConfiguration.iceServers` takes it (the server's `IceServer`). */
export interface WireIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** The data channel's label (one per connection; the same as the SDK's Node factory). */
export const DIRECT_LABEL = "volly-direct";

/** The message with which the UI hands the worker its end of the channel (on the worker's main port). */
export interface DirectPortMessage {
  kind: "direct-port";
  port: MessagePort;
}

/** Worker → UI: what to do with connection `id`. */
export type PeerRequest =
  /** Make a connection and its data channel, gather every candidate, describe the offer. */
  | { op: "offer"; id: number; iceServers: WireIceServer[] }
  /** Make a connection for this remote offer, gather every candidate, describe the answer. */
  | { op: "answer"; id: number; sdp: string; iceServers: WireIceServer[] }
  /** Apply the remote answer to the offer of `id`. */
  | { op: "complete"; id: number; sdp: string }
  /** Send one text frame on the open data channel. */
  | { op: "send"; id: number; text: string }
  /** Close the connection (idempotent). */
  | { op: "close"; id: number };

/** UI → worker: what happened to connection `id`. */
export type PeerEvent =
  /** The local description with every candidate gathered (non-trickle, RFC 8829 §5.2.1). */
  | { ev: "described"; id: number; sdp: string }
  /** The data channel is open. */
  | { ev: "open"; id: number }
  /** One text frame arrived. */
  | { ev: "message"; id: number; text: string }
  /** The connection failed before its channel opened (a VollyError's code and message). */
  | { ev: "failed"; id: number; code: string; message: string }
  /** The open channel or its connection closed or failed. */
  | { ev: "closed"; id: number };

type Loose = Record<string, unknown>;

function isId(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}

function isIceServer(v: unknown): v is WireIceServer {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Loose;
  const urls = s.urls;
  const urlsOk =
    typeof urls === "string" || (Array.isArray(urls) && urls.every((u) => typeof u === "string"));
  return (
    urlsOk &&
    (s.username === undefined || typeof s.username === "string") &&
    (s.credential === undefined || typeof s.credential === "string")
  );
}

/** Whether `data` is the {@link DirectPortMessage} (the worker checks this before RPC requests). */
export function isDirectPortMessage(data: unknown): data is DirectPortMessage {
  if (typeof data !== "object" || data === null) return false;
  const m = data as Loose;
  return m.kind === "direct-port" && m.port instanceof MessagePort;
}

/** A {@link PeerRequest} when `data` is one, else undefined. */
export function parsePeerRequest(data: unknown): PeerRequest | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const m = data as Loose;
  if (!isId(m.id)) return undefined;
  const ice = Array.isArray(m.iceServers) && m.iceServers.every(isIceServer);
  switch (m.op) {
    case "offer":
      return ice ? (m as PeerRequest) : undefined;
    case "answer":
      return ice && typeof m.sdp === "string" ? (m as PeerRequest) : undefined;
    case "complete":
      return typeof m.sdp === "string" ? (m as PeerRequest) : undefined;
    case "send":
      return typeof m.text === "string" ? (m as PeerRequest) : undefined;
    case "close":
      return m as PeerRequest;
    default:
      return undefined;
  }
}

/** A {@link PeerEvent} when `data` is one, else undefined. */
export function parsePeerEvent(data: unknown): PeerEvent | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const m = data as Loose;
  if (!isId(m.id)) return undefined;
  switch (m.ev) {
    case "described":
      return typeof m.sdp === "string" ? (m as PeerEvent) : undefined;
    case "message":
      return typeof m.text === "string" ? (m as PeerEvent) : undefined;
    case "failed":
      return typeof m.code === "string" && typeof m.message === "string" ? (m as PeerEvent) : undefined;
    case "open":
    case "closed":
      return m as PeerEvent;
    default:
      return undefined;
  }
}
