import { VollyError } from "@volly/protocol";
import { type RTCDataChannel, RTCPeerConnection, RTCSessionDescription } from "werift";
import { ListenerSet } from "../shared/listeners.js";
import type { DirectAnswer, DirectChannel, DirectOffer, DirectPeerFactory } from "./direct-channel.js";

/** How long gathering candidates and opening the data channel may take (ms). */
export const DIRECT_CONNECT_TIMEOUT_MS = 15_000;
/** The data channel's label (one per connection). */
const LABEL = "volly-direct";

/** Options of {@link weriftPeerFactory}. */
export interface WeriftPeerOptions {
  /** STUN/TURN servers (RTCIceServer shape); none by default: host candidates, for the LAN. */
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  /** {@link DIRECT_CONNECT_TIMEOUT_MS} by default. */
  connectTimeoutMs?: number;
}

/**
 * The Node {@link DirectPeerFactory}: WebRTC peer connections and data channels (SCTP over DTLS,
 * RFC 8831) from werift, a WebRTC stack in TypeScript — no native binary to install or download.
 */
export function weriftPeerFactory(options: WeriftPeerOptions = {}): DirectPeerFactory {
  const timeoutMs = options.connectTimeoutMs ?? DIRECT_CONNECT_TIMEOUT_MS;
  const make = () => new RTCPeerConnection({ iceServers: options.iceServers ?? [] });
  return {
    async offer(): Promise<DirectOffer> {
      const pc = make();
      const dc = pc.createDataChannel(LABEL, { ordered: true });
      const opened = openedWithin(pc, dc, timeoutMs);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc, timeoutMs);
      return {
        sdp: localSdp(pc),
        async complete(answerSdp) {
          await applyRemote(pc, answerSdp, "answer");
          return opened;
        },
        cancel: () => void pc.close(),
      };
    },
    async answer(offerSdp: string): Promise<DirectAnswer> {
      const pc = make();
      const channel = new Promise<DirectChannel>((resolve, reject) => {
        pc.onDataChannel.subscribe((dc) => {
          if (dc.label === LABEL) openedWithin(pc, dc, timeoutMs).then(resolve, reject);
        });
        setTimeout(() => reject(unreachable("No data channel came.")), timeoutMs).unref();
      });
      channel.catch(() => void pc.close());
      await applyRemote(pc, offerSdp, "offer");
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc, timeoutMs);
      return { sdp: localSdp(pc), channel, cancel: () => void pc.close() };
    },
  };
}

async function applyRemote(pc: RTCPeerConnection, sdp: string, type: "offer" | "answer"): Promise<void> {
  try {
    await pc.setRemoteDescription(new RTCSessionDescription(sdp, type));
  } catch (err) {
    pc.close();
    throw new VollyError("VOLLY_E_BAD_REQUEST", `The peer's ${type} cannot be applied.`, {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
}

function localSdp(pc: RTCPeerConnection): string {
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw unreachable("No local description.");
  return sdp;
}

/** Resolves once ICE gathering is complete (every host candidate is in the local SDP). */
function gathered(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pc.close();
      reject(unreachable("Gathering ICE candidates timed out."));
    }, timeoutMs);
    timer.unref();
    pc.iceGatheringStateChange.subscribe((state) => {
      if (state !== "complete") return;
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The channel once `dc` is open; closes the connection when it fails or times out. */
function openedWithin(pc: RTCPeerConnection, dc: RTCDataChannel, timeoutMs: number): Promise<DirectChannel> {
  const channel = wrap(pc, dc);
  return new Promise<DirectChannel>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      channel.close();
      reject(unreachable(why));
    };
    const timer = setTimeout(() => fail("The data channel did not open in time."), timeoutMs);
    timer.unref();
    if (dc.readyState === "open") {
      clearTimeout(timer);
      resolve(channel);
      return;
    }
    dc.stateChanged.subscribe((state) => {
      if (state === "open") {
        clearTimeout(timer);
        resolve(channel);
      } else if (state === "closed") fail("The data channel closed.");
    });
    pc.connectionStateChange.subscribe((state) => {
      if (state === "failed") fail("The peer connection failed.");
    });
  });
}

/** A werift data channel as a {@link DirectChannel}. */
function wrap(pc: RTCPeerConnection, dc: RTCDataChannel): DirectChannel {
  const messages = new ListenerSet<string>();
  const closed = new ListenerSet<void>();
  let done = false;
  const close = () => {
    if (done) return;
    done = true;
    dc.close();
    void pc.close();
    closed.emit();
  };
  dc.onMessage.subscribe((data) => {
    if (typeof data === "string") messages.emit(data);
    else messages.emit(new TextDecoder().decode(data));
  });
  dc.stateChanged.subscribe((state) => {
    if (state === "closed") close();
  });
  pc.connectionStateChange.subscribe((state) => {
    if (state === "failed" || state === "closed" || state === "disconnected") close();
  });
  return {
    send(text) {
      if (done || dc.readyState !== "open") throw unreachable("The data channel is closed.");
      dc.send(text);
    },
    close,
    messages,
    closed,
  };
}

function unreachable(message: string): VollyError {
  return new VollyError("VOLLY_E_PEER_UNREACHABLE", message);
}
