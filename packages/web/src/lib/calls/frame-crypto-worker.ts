/**
 * The worker of a call's encoded transforms (WebRTC Encoded Transform, `RTCRtpScriptTransform`):
 * seals every outgoing encoded frame with SFrame (RFC 9605) under this device's key of the call's
 * newest MLS epoch, and opens every incoming one; a frame that does not open (no key, wrong key,
 * replayed, tampered) is dropped, never passed to the decoder. Keys arrive as plain
 * `SFrameMlsEpoch`s from the UI (`client.calls.mediaKeys`); only the worker-safe SFrame modules are
 * imported here (`@volly/crypto/sframe`: no ts-mls).
 *
 * Audio frames (Opus) are sealed whole. Of a video frame (VP8: `media-encryption.ts` prefers it,
 * and voice channels' Janus rooms forward VP8) the VP8 frame tag stays in the clear, 10 bytes of a
 * key frame and 3 of a delta frame, authenticated as SFrame metadata (`vp8-clear-prefix.ts`): the
 * receiving browser's depacketizer reads it to find key frames. Neither the peer nor Janus needs
 * more.
 */
import { MlsSFrameContext, type SFrameMlsEpoch } from "@volly/crypto/sframe";
import type {
  FrameCryptoRequest,
  FrameCryptoStats,
  FrameCryptoStatsReply,
  FrameTransformOptions,
} from "./frame-crypto-protocol.js";
import { vp8ClearBytes } from "./vp8-clear-prefix.js";

/** An encoded frame as the transform sees it (RTCEncodedAudioFrame / RTCEncodedVideoFrame). */
interface EncodedFrame {
  data: ArrayBuffer;
  /** RTCEncodedVideoFrame's metadata (`mimeType` in newer browsers); absent on audio frames. */
  getMetadata?(): { mimeType?: string };
}

/** The part of `RTCRtpScriptTransformer` used here. */
interface Transformer {
  readable: ReadableStream<EncodedFrame>;
  writable: WritableStream<EncodedFrame>;
  options: FrameTransformOptions;
}

/** The part of DedicatedWorkerGlobalScope used here (the web app's lib is DOM, not WebWorker). */
interface WorkerScope {
  onmessage: ((ev: MessageEvent<FrameCryptoRequest>) => void) | null;
  onrtctransform: ((ev: Event & { transformer: Transformer }) => void) | null;
  postMessage(message: FrameCryptoStatsReply): void;
}

/** The kinds of track a call carries. */
type Kind = FrameTransformOptions["kind"];

/**
 * One call's keys: one context seals, and one per kind of track opens. The sender seals its audio
 * and its video with one counter (RFC 9605 §4.3: CTR unique per key), but the receiver's audio and
 * video frames reach this worker in two pipelines that drift apart (video frames are larger and
 * assembled from more packets): with one anti-replay window (§7.3) for both, a video frame falling
 * more than the window behind the audio was refused as "too old", and the decoder then waited for
 * a keyframe. Each kind's own window still refuses every repeated frame of that kind.
 */
interface CallKeys {
  seal: MlsSFrameContext;
  open: Record<Kind, MlsSFrameContext>;
  epochs: SFrameMlsEpoch[];
  stats: FrameCryptoStats;
}

const KINDS: readonly Kind[] = ["audio", "video"];

const scope = self as unknown as WorkerScope;
const calls = new Map<string, CallKeys>();

/** How many of the first sealed frames are checked for visible plaintext (a self-check). */
const CHECKED_FRAMES = 50;

function keysOf(callId: string): CallKeys {
  let keys = calls.get(callId);
  if (keys === undefined) {
    keys = {
      seal: new MlsSFrameContext(),
      open: { audio: new MlsSFrameContext(), video: new MlsSFrameContext() },
      epochs: [],
      stats: {
        sealed: 0,
        unsealed: 0,
        opened: 0,
        openedVideo: 0,
        openedFrom: {},
        empty: 0,
        dropped: {},
        plaintextVisible: 0,
      },
    };
    calls.set(callId, keys);
  }
  return keys;
}

scope.onmessage = (ev) => {
  const request = ev.data;
  switch (request.type) {
    case "epoch": {
      const keys = keysOf(request.callId);
      keys.epochs.push(request.epoch);
      void keys.seal.setEpoch(request.epoch).catch(() => undefined);
      for (const kind of KINDS) void keys.open[kind].setEpoch(request.epoch).catch(() => undefined);
      break;
    }
    case "retire": {
      const keys = calls.get(request.callId);
      void keys?.seal.retireEpoch(request.epoch);
      for (const kind of KINDS) void keys?.open[kind].retireEpoch(request.epoch);
      break;
    }
    case "end":
      calls.delete(request.callId);
      break;
    case "stats":
      scope.postMessage({ type: "stats", requestId: request.requestId, stats: keysOf(request.callId).stats });
      break;
    case "forget-receive-keys": {
      const keys = calls.get(request.callId);
      if (keys === undefined) break;
      const open = { audio: new MlsSFrameContext(), video: new MlsSFrameContext() };
      for (const epoch of keys.epochs) {
        const wrong = crypto.getRandomValues(new Uint8Array(epoch.baseKey.length));
        for (const kind of KINDS)
          void open[kind].setEpoch({ ...epoch, baseKey: wrong }).catch(() => undefined);
      }
      keys.open = open;
      break;
    }
  }
};

scope.onrtctransform = (ev) => {
  const { readable, writable, options } = ev.transformer;
  const { callId, kind } = options;
  const transform = options.side === "send" ? seal(callId, kind) : open(callId, kind, options.peer);
  void readable.pipeThrough(new TransformStream<EncodedFrame, EncodedFrame>({ transform })).pipeTo(writable);
};

/** How many leading bytes of `frame` (of a track of `kind`) stay in the clear. */
function clearBytes(frame: EncodedFrame, bytes: Uint8Array, kind: Kind): number {
  return kind === "video" ? vp8ClearBytes(bytes, frame.getMetadata?.() ?? {}) : 0;
}

function seal(callId: string, kind: Kind) {
  return async (frame: EncodedFrame, controller: TransformStreamDefaultController<EncodedFrame>) => {
    const keys = keysOf(callId);
    const whole = new Uint8Array(frame.data);
    const clear = clearBytes(frame, whole, kind);
    const prefix = whole.subarray(0, clear);
    const plaintext = whole.subarray(clear);
    let sealed: Uint8Array;
    try {
      const ciphertext = await keys.seal.encrypt(plaintext, prefix);
      sealed = new Uint8Array(clear + ciphertext.length);
      sealed.set(prefix);
      sealed.set(ciphertext, clear);
    } catch {
      keys.stats.unsealed += 1; // no key yet: nothing leaves in the clear
      return;
    }
    if (keys.stats.sealed < CHECKED_FRAMES && containsPrefix(sealed.subarray(clear), plaintext))
      keys.stats.plaintextVisible += 1;
    keys.stats.sealed += 1;
    frame.data = sealed.buffer.slice(sealed.byteOffset, sealed.byteOffset + sealed.byteLength) as ArrayBuffer;
    controller.enqueue(frame);
  };
}

function open(callId: string, kind: Kind, peer: string | undefined) {
  return async (frame: EncodedFrame, controller: TransformStreamDefaultController<EncodedFrame>) => {
    const keys = keysOf(callId);
    if (frame.data.byteLength === 0) {
      keys.stats.empty += 1; // no payload (RTP padding): no SFrame to open, nothing to decode
      return;
    }
    try {
      const received = new Uint8Array(frame.data);
      const clear = clearBytes(frame, received, kind);
      const { plaintext } = await keys.open[kind].decrypt(
        received.subarray(clear),
        received.subarray(0, clear),
      );
      keys.stats.opened += 1;
      if (kind === "video") keys.stats.openedVideo += 1;
      if (peer !== undefined) keys.stats.openedFrom[peer] = (keys.stats.openedFrom[peer] ?? 0) + 1;
      const whole = new Uint8Array(clear + plaintext.length);
      whole.set(received.subarray(0, clear));
      whole.set(plaintext, clear);
      frame.data = whole.buffer;
      controller.enqueue(frame);
    } catch (err) {
      const cause = String((err as { details?: { cause?: unknown } }).details?.cause ?? "error");
      keys.stats.dropped[cause] = (keys.stats.dropped[cause] ?? 0) + 1;
    }
  };
}

/** Whether `bytes` contains the first 16 bytes of `plaintext` (for frames of at least 16 bytes). */
function containsPrefix(bytes: Uint8Array, plaintext: Uint8Array): boolean {
  const n = 16;
  if (plaintext.length < n) return false;
  outer: for (let i = 0; i + n <= bytes.length; i += 1) {
    for (let j = 0; j < n; j += 1) if (bytes[i + j] !== plaintext[j]) continue outer;
    return true;
  }
  return false;
}
