/**
 * The web app's {@link DirectPeerFactory} (issue 17), in the SDK worker: a proxy that asks the UI
 * thread (`lib/p2p/browser-peers.ts`, over the MessagePort of `lib/p2p/direct-wire.ts`) to make each
 * RTCPeerConnection and data channel, since Chromium has none in workers. Passed to the client as
 * `VollyClientOptions.direct.peers` (`sdk-service.ts`).
 */
import type { DirectAnswer, DirectChannel, DirectOffer, DirectPeerFactory, Listeners } from "@volly/client";
import { VollyError } from "@volly/protocol";
import {
  type PeerEvent,
  type PeerRequest,
  parsePeerEvent,
  type WireIceServer,
} from "../lib/p2p/direct-wire.js";

/** A set of listeners that also emits (the SDK's own `ListenerSet` is internal). */
class Emitter<T> implements Listeners<T> {
  private readonly fns = new Set<(value: T) => void>();

  add(fn: (value: T) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }

  emit(value: T): void {
    for (const fn of this.fns) {
      try {
        fn(value);
      } catch {
        // a listener's bug must not break delivery
      }
    }
  }
}

/** One connection the UI thread holds for this worker. */
interface Remote {
  described: Deferred<string>;
  opened: Deferred<DirectChannel>;
  channel: Emitting;
}

interface Emitting extends DirectChannel {
  readonly messages: Emitter<string>;
  readonly closed: Emitter<void>;
  /** Marks the channel closed here and fires `closed` (once). */
  end(): void;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // rejections are observed by whoever awaits
  return { promise, resolve, reject };
}

/**
 * The worker's {@link DirectPeerFactory} over `port` (the UI's `serveBrowserPeers` of
 * `lib/p2p/browser-peers.ts` serves the other end).
 *
 * @param port the worker's end of the direct-paths MessageChannel
 * @param iceServers the STUN/TURN servers for a new connection (`client.calls.iceServers()`); a
 *   rejection means none
 */
export function workerPeerFactory(
  port: MessagePort,
  iceServers: () => Promise<WireIceServer[]>,
): DirectPeerFactory {
  const remotes = new Map<number, Remote>();
  let nextId = 1;
  const post = (req: PeerRequest) => port.postMessage(req);

  port.onmessage = (ev: MessageEvent<unknown>) => {
    const event = parsePeerEvent(ev.data);
    const remote = event ? remotes.get(event.id) : undefined;
    if (event && remote) onEvent(event, remote);
  };
  port.start();

  function onEvent(event: PeerEvent, r: Remote): void {
    switch (event.ev) {
      case "described":
        r.described.resolve(event.sdp);
        return;
      case "open":
        r.opened.resolve(r.channel);
        return;
      case "message":
        r.channel.messages.emit(event.text);
        return;
      case "failed": {
        remotes.delete(event.id);
        const code = event.code === "VOLLY_E_BAD_REQUEST" ? event.code : "VOLLY_E_PEER_UNREACHABLE";
        const err = new VollyError(code, event.message);
        r.described.reject(err);
        r.opened.reject(err);
        r.channel.end();
        return;
      }
      case "closed":
        remotes.delete(event.id);
        r.opened.reject(new VollyError("VOLLY_E_PEER_UNREACHABLE", "The data channel closed."));
        r.channel.end();
        return;
    }
  }

  function open(): { id: number; remote: Remote } {
    const id = nextId++;
    const messages = new Emitter<string>();
    const closed = new Emitter<void>();
    let done = false;
    const channel: Emitting = {
      messages,
      closed,
      send(text) {
        if (done) throw new VollyError("VOLLY_E_PEER_UNREACHABLE", "The data channel is closed.");
        post({ op: "send", id, text });
      },
      close() {
        if (done) return;
        post({ op: "close", id });
        remotes.delete(id);
        channel.end();
      },
      end() {
        if (done) return;
        done = true;
        closed.emit();
      },
    };
    const remote: Remote = { described: deferred(), opened: deferred(), channel };
    remotes.set(id, remote);
    return { id, remote };
  }

  const servers = () => iceServers().catch((): WireIceServer[] => []);

  return {
    async offer(): Promise<DirectOffer> {
      const list = await servers();
      const { id, remote } = open();
      post({ op: "offer", id, iceServers: list });
      const sdp = await remote.described.promise;
      return {
        sdp,
        complete(answerSdp) {
          post({ op: "complete", id, sdp: answerSdp });
          return remote.opened.promise;
        },
        cancel: () => remote.channel.close(),
      };
    },
    async answer(offerSdp: string): Promise<DirectAnswer> {
      const list = await servers();
      const { id, remote } = open();
      post({ op: "answer", id, sdp: offerSdp, iceServers: list });
      const sdp = await remote.described.promise;
      return { sdp, channel: remote.opened.promise, cancel: () => remote.channel.close() };
    },
  };
}
