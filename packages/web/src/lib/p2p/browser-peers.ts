/**
 * The UI thread's half of the web app's direct paths (issue 17): Chromium has no RTCPeerConnection
 * in workers, so the SDK worker's peer factory (`worker/direct-peers.ts`) asks this host, over a
 * dedicated MessagePort (`direct-wire.ts`), to make each WebRTC connection and its one data channel
 * ("volly-direct", reliable and ordered), gather its candidates without trickle, and shuttle text
 * frames and close events. It does nothing else: which device to connect to, and what the frames
 * mean, is the SDK's (signaled and checked inside MLS).
 *
 * ICE: the servers the worker passes (the server's STUN/TURN, `client.calls.iceServers()`) give
 * reflexive and relayed candidates that reach a peer anywhere. Without them only host candidates
 * remain, and Chromium hides those behind mDNS `.local` names, which a Node peer (werift) cannot
 * resolve: a path then opens only where Chromium's checks reach the peer's own host candidates
 * (the peer learns Chromium's address from them as peer-reflexive), as when a Node client answers
 * this browser's hello on the same machine or LAN (test/e2e/web-direct-path.test.ts). Tests that
 * need Chromium's real host addresses can launch it with
 * `--disable-features=WebRtcHideLocalIpsWithMdns`.
 */
import { DIRECT_LABEL, type PeerEvent, type PeerRequest, parsePeerRequest } from "./direct-wire.js";

/** How long gathering candidates, and then opening the data channel, may each take (ms). */
export const BROWSER_CONNECT_TIMEOUT_MS = 15_000;

interface Connection {
  pc: RTCPeerConnection;
  dc?: RTCDataChannel;
  opened: boolean;
  done: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Serves the worker's peer requests on `port` until the page goes away.
 *
 * @param port the UI's end of the MessageChannel whose other end went to the worker
 * @param timeoutMs how long gathering and opening may each take (ms)
 */
export function serveBrowserPeers(port: MessagePort, timeoutMs = BROWSER_CONNECT_TIMEOUT_MS): void {
  const connections = new Map<number, Connection>();
  const post = (event: PeerEvent) => port.postMessage(event);

  /** Ends connection `id`: "closed" once its channel had opened, "failed" with `why` before. */
  const finish = (id: number, why: { code: string; message: string }) => {
    const c = connections.get(id);
    if (!c || c.done) return;
    c.done = true;
    clearTimeout(c.timer);
    connections.delete(id);
    c.dc?.close();
    c.pc.close();
    post(c.opened ? { ev: "closed", id } : { ev: "failed", id, ...why });
  };
  const unreachable = (message: string) => ({ code: "VOLLY_E_PEER_UNREACHABLE", message });

  /** Wires a data channel's events (and its connection's) to the worker. */
  const wire = (id: number, c: Connection, dc: RTCDataChannel) => {
    c.dc = dc;
    dc.onopen = () => {
      if (c.done) return;
      c.opened = true;
      clearTimeout(c.timer);
      post({ ev: "open", id });
    };
    dc.onmessage = (ev: MessageEvent<unknown>) => {
      if (typeof ev.data === "string") post({ ev: "message", id, text: ev.data });
    };
    dc.onclose = () => finish(id, unreachable("The data channel closed."));
  };

  const create = (id: number, iceServers: RTCIceServer[]): Connection => {
    connections.get(id)?.pc.close();
    const c: Connection = { pc: new RTCPeerConnection({ iceServers }), opened: false, done: false };
    connections.set(id, c);
    c.pc.onconnectionstatechange = () => {
      const state = c.pc.connectionState;
      if (state === "failed" || state === "closed" || state === "disconnected") {
        finish(id, unreachable("The peer connection failed."));
      }
    };
    return c;
  };

  /** Sets the local description, waits for every candidate, describes it to the worker. */
  const describe = async (id: number, c: Connection, make: () => Promise<RTCSessionDescriptionInit>) => {
    await c.pc.setLocalDescription(await make());
    c.timer = setTimeout(() => finish(id, unreachable("Gathering ICE candidates timed out.")), timeoutMs);
    await gathered(c.pc);
    if (c.done) return;
    clearTimeout(c.timer);
    const sdp = c.pc.localDescription?.sdp;
    if (!sdp) {
      finish(id, unreachable("No local description."));
      return;
    }
    // the data channel must open in time from here
    c.timer = setTimeout(() => finish(id, unreachable("The data channel did not open in time.")), timeoutMs);
    post({ ev: "described", id, sdp });
  };

  const handle = async (req: PeerRequest): Promise<void> => {
    switch (req.op) {
      case "offer": {
        const c = create(req.id, req.iceServers);
        wire(req.id, c, c.pc.createDataChannel(DIRECT_LABEL, { ordered: true }));
        await describe(req.id, c, () => c.pc.createOffer());
        return;
      }
      case "answer": {
        const c = create(req.id, req.iceServers);
        c.pc.ondatachannel = (ev) => {
          if (ev.channel.label === DIRECT_LABEL && !c.dc) wire(req.id, c, ev.channel);
        };
        try {
          await c.pc.setRemoteDescription({ type: "offer", sdp: req.sdp });
        } catch {
          finish(req.id, { code: "VOLLY_E_BAD_REQUEST", message: "The peer's offer cannot be applied." });
          return;
        }
        await describe(req.id, c, () => c.pc.createAnswer());
        return;
      }
      case "complete": {
        const c = connections.get(req.id);
        if (!c) return;
        await c.pc.setRemoteDescription({ type: "answer", sdp: req.sdp }).catch(() => {
          finish(req.id, { code: "VOLLY_E_BAD_REQUEST", message: "The peer's answer cannot be applied." });
        });
        return;
      }
      case "send": {
        const dc = connections.get(req.id)?.dc;
        if (dc?.readyState !== "open") {
          finish(req.id, unreachable("The data channel is closed."));
          return;
        }
        dc.send(req.text);
        return;
      }
      case "close":
        finish(req.id, unreachable("The connection was given up."));
        return;
    }
  };

  port.onmessage = (ev: MessageEvent<unknown>) => {
    const req = parsePeerRequest(ev.data);
    if (!req) return; // only the worker holds the other end: nothing else to answer
    handle(req).catch((err: unknown) =>
      finish(req.id, unreachable(err instanceof Error ? err.message : "The connection failed.")),
    );
  };
  port.start();
}

/** Resolves once ICE gathering is complete (every candidate is in the local description). */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState !== "complete" && pc.signalingState !== "closed") return;
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", check);
  });
}
