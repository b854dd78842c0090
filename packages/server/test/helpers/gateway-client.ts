import { GatewayOp, type HelloData, PROTOCOL_VERSION, signingInput } from "@volly/protocol";
import { WebSocket } from "ws";
import { signB64, type TestKeys } from "./identity.js";

/** A frame received from the server. */
export interface Frame {
  op: number;
  d: unknown;
  s?: number;
  t?: string;
}

/** A `ws` client speaking the gateway protocol, buffering every frame it receives. */
export interface GatewayClient {
  ws: WebSocket;
  hello: HelloData;
  /** Every frame received so far, in order (including consumed ones). */
  received: Frame[];
  /** Sends a JSON frame (objects are stringified; strings and buffers go as they are). */
  send(frame: unknown, options?: { binary?: boolean }): void;
  /** Resolves with the first not-yet-consumed frame matching `match` (and consumes it). */
  next(match?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves with the dispatch of event `t`. */
  nextDispatch(t: string, timeoutMs?: number): Promise<Frame>;
  /** Consumes frames up to and including SYNCED; returns the dispatches before it and the SYNCED frame. */
  untilSynced(timeoutMs?: number): Promise<{ events: Frame[]; synced: Frame }>;
  /** Resolves when the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** Connects to `url` (ws://…/v1/gateway) and waits for HELLO. */
export async function connectGateway(url: string): Promise<GatewayClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const received: Frame[] = [];
  const pending: Frame[] = [];
  const waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on("error", () => {});
  ws.on("message", (data) => {
    const frame = JSON.parse(String(data)) as Frame;
    received.push(frame);
    const i = waiters.findIndex((w) => w.match(frame));
    if (i >= 0) {
      const [waiter] = waiters.splice(i, 1);
      waiter!.resolve(frame);
    } else {
      pending.push(frame);
    }
  });

  const next = (match: (f: Frame) => boolean = () => true, timeoutMs = 5_000): Promise<Frame> => {
    const i = pending.findIndex(match);
    if (i >= 0) return Promise.resolve(pending.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `timed out waiting for a frame; received ops ${received.map((f) => f.t ?? f.op).join(",")}`,
          ),
        );
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const hello = await next((f) => f.op === GatewayOp.HELLO);
  const client: GatewayClient = {
    ws,
    hello: hello.d as HelloData,
    received,
    send(frame, options) {
      const data = typeof frame === "string" || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
      ws.send(data, { binary: options?.binary ?? false });
    },
    next,
    nextDispatch: (t, timeoutMs) => next((f) => f.op === GatewayOp.DISPATCH && f.t === t, timeoutMs),
    async untilSynced(timeoutMs = 5_000) {
      const events: Frame[] = [];
      for (;;) {
        const f = await next((x) => x.op === GatewayOp.DISPATCH, timeoutMs);
        if (f.t === "SYNCED") return { events, synced: f };
        events.push(f);
      }
    },
    closed,
    async close() {
      if (ws.readyState === ws.CLOSED) return;
      ws.close(1000);
      await closed;
    },
  };
  return client;
}

/** The IDENTIFY frame for the connection's HELLO nonce. */
export function identifyFrame(client: GatewayClient, deviceId: string, keys: TestKeys) {
  return {
    op: GatewayOp.IDENTIFY,
    d: {
      deviceId,
      signature: signB64(keys, signingInput.identify(client.hello.nonce)),
      protocolVersion: PROTOCOL_VERSION,
    },
  };
}

/** Connects and identifies; resolves after READY with the client and the READY payload. */
export async function connectIdentified(url: string, device: { deviceId: string; keys: TestKeys }) {
  const client = await connectGateway(url);
  client.send(identifyFrame(client, device.deviceId, device.keys));
  const ready = await client.nextDispatch("READY");
  return {
    client,
    ready: ready.d as { sessionId: string; accountId: string; deviceId: string; handle: string },
  };
}
