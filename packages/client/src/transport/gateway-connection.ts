import {
  type DispatchEventName,
  GatewayOp,
  type HelloData,
  isErrorCode,
  LIMITS,
  matches,
  PROTOCOL_VERSION,
  type SendAckData,
  type SendMessageBody,
  ServerFrame,
  signingInput,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import { ListenerSet } from "../shared/listeners.js";
import type { ConnectionState, GatewayConnection } from "./gateway-connection-api.js";
import { reconnectDelayMs } from "./reconnect-delay.js";
import { type WebSocketFactory, type WebSocketLike, WS_OPEN } from "./websocket.js";

/** The server frame of one opcode. */
type FrameOf<O extends ServerFrame["op"]> = Extract<ServerFrame, { op: O }>;

/** A DISPATCH frame as delivered to the SDK. */
export interface Dispatch {
  /** The event's name (`DISPATCH_EVENTS` of @volly/protocol). */
  t: DispatchEventName;
  /** The session's sequence number of the dispatch (increasing). */
  s: number;
  /** The event's payload, not validated yet (`Sync` checks it against the event's schema). */
  d: unknown;
}

/** Options of a {@link GatewayConnectionService}. Delays in ms. */
export interface GatewayConnectionOptions {
  /**
   * Gateway URL, e.g. `ws://localhost:7777/v1/gateway`, or the gateway URLs of several nodes of one
   * deployment (the preferred one first): every reconnection goes to the next one, round robin.
   */
  url: string | readonly string[];
  /** The device identifying itself (IDENTIFY). */
  deviceId: string;
  /** Signs bytes with the device's Ed25519 key. */
  sign: (message: Uint8Array) => Uint8Array;
  /** An API key of the account, sent with IDENTIFY and RESUME (see `DeviceCredentials.apiKey`). */
  apiKey?: string;
  /** Opens each WebSocket (`nodeSocketFactory`, `browserSocketFactory`). */
  createSocket: WebSocketFactory;
  /** Called for each DISPATCH, one at a time, in order; the next waits for the promise. */
  onDispatch: (dispatch: Dispatch) => Promise<void>;
  /**
   * Receives a failure of `onDispatch` (the next dispatch is handled regardless; the failed one is
   * not acknowledged, so the server sends it again). Default: ignored.
   */
  onDispatchError?: (error: unknown) => void;
  /** Ceiling of the first reconnect delay (ms, default 250); see {@link reconnectDelayMs}. */
  initialBackoffMs?: number;
  /** Cap of the reconnect delay's ceiling (ms, default 30,000). */
  maxBackoffMs?: number;
  /** How long a SEND waits for its answer (ms, default {@link SEND_TIMEOUT_MS}). */
  sendTimeoutMs?: number;
}

/**
 * Errors after which the connection stops reconnecting: the server refuses this device itself (its
 * key, its existence, its revocation). Not a retry class of one request (`retryClass`) but whether
 * the device may connect at all, so it is listed here, by the gateway state machine.
 */
const FATAL_CODES = new Set(["VOLLY_E_BAD_SIGNATURE", "VOLLY_E_UNKNOWN_DEVICE", "VOLLY_E_DEVICE_REVOKED"]);
/** Close code of VOLLY_E_DEVICE_REVOKED: the device was revoked, reconnecting is pointless. */
const REVOKED_CLOSE_CODE = 4010;

/**
 * How long a SEND waits for its SEND_ACK or ERROR before it is given up as unanswered (ms): the
 * outbox then sends it over REST under the same message id.
 */
export const SEND_TIMEOUT_MS = 15_000;

/**
 * How long acks wait to be sent together (ms). The server writes the acks it receives at most every
 * second anyway (its ACK_FLUSH_INTERVAL_MS), and each ACK frame is work for it: at 10 messages a
 * second in a conversation, 25 ms sent one ACK per message, and the server's CPU in the 100
 * messages/s benchmark fell by a fifth with 250 (bench/optimizations.md, "Acks sent every 250 ms"). A stop
 * sends what is pending; an ack lost with a dropped connection only means a redelivery.
 */
export const ACK_COALESCE_MS = 250;

/**
 * The SDK's {@link GatewayConnection} (see there for each public member). The device's gateway
 * session: HELLO → IDENTIFY (or RESUME) → READY, heartbeats, and reconnection with exponential
 * backoff and equal jitter ({@link reconnectDelayMs}: half the ceiling fixed, half random) after any
 * drop (except close 4010, VOLLY_E_DEVICE_REVOKED: it stops and reports the error). Dispatches are
 * handed to `onDispatch` strictly in order. With several URLs, a connection that drops or cannot be
 * opened is retried on the next URL (round robin, same backoff), so the device fails over when its
 * node dies; a RESUME on another node gets INVALID_SESSION and the connection IDENTIFYs again
 * (delivery restarts from the durable cursors, nothing is lost).
 */
export class GatewayConnectionService implements GatewayConnection {
  readonly stateChanges = new ListenerSet<ConnectionState>();
  readonly errors = new ListenerSet<VollyError>();
  private socket: WebSocketLike | undefined;
  private sessionId: string | undefined;
  private lastSeq = 0;
  private attempt = 0;
  private stopped = true;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** Acks not sent yet: highest seq per group, and welcome ids. */
  private readonly pendingCursors = new Map<string, number>();
  private readonly pendingWelcomeIds = new Set<string>();
  private awaitingHeartbeatAck = false;
  /** The server said this device was revoked (ERROR frame or close 4010). */
  private revoked = false;
  private queue: Promise<void> = Promise.resolve();
  private currentState: ConnectionState = "offline";
  private readonly urls: readonly string[];
  private urlIndex = 0;
  /** SENDs waiting for their SEND_ACK or ERROR, by message id. */
  private readonly pendingSends = new Map<
    string,
    {
      resolve: (ack: SendAckData) => void;
      reject: (error: VollyError) => void;
      timer: ReturnType<typeof setTimeout>;
    }
  >();

  constructor(private readonly options: GatewayConnectionOptions) {
    this.urls = typeof options.url === "string" ? [options.url] : [...options.url];
    if (this.urls.length === 0) throw new VollyError("VOLLY_E_USAGE", "At least one gateway URL is needed.");
  }

  get url(): string {
    return this.urls[this.urlIndex] ?? "";
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  async stop(): Promise<void> {
    this.flushAcks();
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.clearHeartbeat();
    const s = this.socket;
    this.socket = undefined;
    if (s && s.readyState <= WS_OPEN) s.close(1000, "client closing");
    this.failPendingSends();
    this.setState("closed");
    await this.queue;
  }

  /**
   * Acknowledges durable processing of group-log entries and welcomes (op ACK). Acks made within
   * {@link ACK_COALESCE_MS} are sent as one frame (highest seq per group), so a burst of messages
   * costs one ACK, not one each. An ack not sent before the connection drops only means the server
   * delivers those entries again, and they are dropped as duplicates.
   */
  ack(cursors: Array<{ groupId: string; seq: number }>, welcomeIds: string[]): void {
    for (const { groupId, seq } of cursors) {
      if (seq > (this.pendingCursors.get(groupId) ?? 0)) this.pendingCursors.set(groupId, seq);
    }
    for (const id of welcomeIds) this.pendingWelcomeIds.add(id);
    this.ackTimer ??= setTimeout(() => this.flushAcks(), ACK_COALESCE_MS);
  }

  /** Sends the coalesced acks now (ACK frames carry at most 1,000 cursors and 1,000 welcome ids). */
  private flushAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const cursors = [...this.pendingCursors].map(([groupId, seq]) => ({ groupId, seq }));
    const welcomeIds = [...this.pendingWelcomeIds];
    this.pendingCursors.clear();
    this.pendingWelcomeIds.clear();
    for (let i = 0; i < Math.max(cursors.length, welcomeIds.length); i += 1000) {
      this.send({
        op: GatewayOp.ACK,
        d: { cursors: cursors.slice(i, i + 1000), welcomeIds: welcomeIds.slice(i, i + 1000) },
      });
    }
  }

  /**
   * Sends an application message over the gateway (op SEND): resolves with the SEND_ACK once the
   * server has stored it durably, rejects with the server's error (ERROR with details.messageId),
   * or with VOLLY_E_SERVER_UNREACHABLE when the connection closes first or no answer came within
   * {@link SEND_TIMEOUT_MS} (the outcome is then unknown: send again under the same message id,
   * which the server deduplicates). Returns
   * undefined, sending nothing, while the connection is not READY or when the frame would exceed
   * LIMITS.maxInboundFrameBytes: use REST then.
   */
  sendMessage(groupId: string, body: SendMessageBody): Promise<SendAckData> | undefined {
    const socket = this.socket;
    if (this.currentState !== "connected" || !socket || socket.readyState !== WS_OPEN) return undefined;
    if (this.pendingSends.has(body.messageId)) return undefined;
    const text = JSON.stringify({ op: GatewayOp.SEND, d: { groupId, ...body } });
    // Ids and base64url are ASCII: characters are bytes.
    if (text.length > LIMITS.maxInboundFrameBytes) return undefined;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pendingSends.get(body.messageId)?.timer !== timer) return;
        this.pendingSends.delete(body.messageId);
        reject(new VollyError("VOLLY_E_SERVER_UNREACHABLE", "The server did not answer the SEND in time."));
      }, this.options.sendTimeoutMs ?? SEND_TIMEOUT_MS);
      this.pendingSends.set(body.messageId, { resolve, reject, timer });
      socket.send(text);
    });
  }

  /** Fails every SEND still waiting: the connection closed before the server answered. */
  private failPendingSends(): void {
    for (const { reject, timer } of this.pendingSends.values()) {
      clearTimeout(timer);
      reject(
        new VollyError("VOLLY_E_SERVER_UNREACHABLE", "The connection closed before the server answered."),
      );
    }
    this.pendingSends.clear();
  }

  /** Sends this device's activity (op PRESENCE_UPDATE); dropped while disconnected. */
  sendPresence(status: "online" | "idle"): void {
    this.send({ op: GatewayOp.PRESENCE_UPDATE, d: { status } });
  }

  /** Sends a typing notification for a group (op TYPING); dropped while disconnected. */
  sendTyping(groupId: string): void {
    this.send({ op: GatewayOp.TYPING, d: { groupId } });
  }

  /** Drops the current socket as a network failure would (the connection reconnects). */
  drop(): void {
    this.socket?.close(4999, "dropped by client");
  }

  private open(): void {
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    let socket: WebSocketLike;
    try {
      socket = this.options.createSocket(this.url);
    } catch {
      // A URL the platform refuses to open right now counts as a failed connection: retry later.
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.onFrame(String(ev.data));
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.clearHeartbeat();
      this.failPendingSends();
      if (ev.code === REVOKED_CLOSE_CODE) {
        // Revoked: stop for good, and report it unless its ERROR frame already did.
        this.stopped = true;
        this.setState("offline");
        if (!this.revoked) this.errors.emit(new VollyError("VOLLY_E_DEVICE_REVOKED"));
        this.revoked = true;
        return;
      }
      if (ev.code === 4004 || ev.code === 4003) {
        this.stopped = true;
        this.setState("offline");
        return;
      }
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // onclose follows and schedules the reconnect
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.setState("reconnecting");
    const delay = reconnectDelayMs(this.attempt, {
      initialMs: this.options.initialBackoffMs ?? 250,
      maxMs: this.options.maxBackoffMs ?? 30_000,
    });
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private onFrame(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return; // not a frame of the protocol: ignored, like one that does not match ServerFrame
    }
    if (!matches(ServerFrame, frame)) return;
    (this.frameHandlers[frame.op] as (frame: ServerFrame) => void)(frame);
  }

  /**
   * How each server opcode is handled (packages/protocol's ServerFrame): the mapped type makes
   * TypeScript reject an opcode without a handler. Client-sent ops are unchanged on the wire.
   */
  private readonly frameHandlers: { readonly [O in ServerFrame["op"]]: (frame: FrameOf<O>) => void } = {
    [GatewayOp.HELLO]: (frame) => this.onHello(frame.d),
    [GatewayOp.HEARTBEAT_ACK]: () => {
      this.awaitingHeartbeatAck = false;
    },
    [GatewayOp.INVALID_SESSION]: () => {
      this.sessionId = undefined;
      this.lastSeq = 0;
      this.socket?.close(4000, "invalid session");
    },
    [GatewayOp.RECONNECT]: () => this.socket?.close(4000, "server asked to reconnect"),
    [GatewayOp.SEND_ACK]: (frame) => {
      const pending = this.pendingSends.get(frame.d.messageId);
      this.pendingSends.delete(frame.d.messageId);
      clearTimeout(pending?.timer);
      pending?.resolve(frame.d);
    },
    [GatewayOp.ERROR]: (frame) => this.onError(frame.d),
    [GatewayOp.DISPATCH]: (frame) => this.onDispatchFrame(frame),
  };

  /** An ERROR frame: the answer to a SEND (details.messageId), or a session error to report. */
  private onError(error: FrameOf<typeof GatewayOp.ERROR>["d"]): void {
    const code = isErrorCode(error.code) ? error.code : "VOLLY_E_INTERNAL";
    const err = new VollyError(code, error.message, error.details);
    const failedSend = this.pendingSends.get(String(error.details?.messageId));
    if (failedSend) {
      this.pendingSends.delete(String(error.details?.messageId));
      clearTimeout(failedSend.timer);
      failedSend.reject(err);
      return;
    }
    if (code === "VOLLY_E_DEVICE_REVOKED") this.revoked = true;
    this.errors.emit(err);
    if (FATAL_CODES.has(code)) this.stopped = true;
  }

  /** A DISPATCH frame: queued for `onDispatch`, strictly in order. */
  private onDispatchFrame(frame: FrameOf<typeof GatewayOp.DISPATCH>): void {
    const dispatch: Dispatch = { t: frame.t as DispatchEventName, s: frame.s, d: frame.d };
    this.lastSeq = frame.s;
    if (dispatch.t === "READY" || dispatch.t === "RESUMED") {
      this.attempt = 0;
      if (dispatch.t === "READY") this.sessionId = (frame.d as { sessionId: string }).sessionId;
      this.setState("connected");
    }
    this.queue = this.queue
      .then(() => this.options.onDispatch(dispatch))
      .catch((error: unknown) => this.options.onDispatchError?.(error));
  }

  private onHello(hello: HelloData): void {
    const signature = toBase64Url(this.options.sign(signingInput.identify(hello.nonce)));
    const key = this.options.apiKey ? { apiKey: this.options.apiKey } : {};
    if (this.sessionId) {
      this.send({
        op: GatewayOp.RESUME,
        d: {
          deviceId: this.options.deviceId,
          sessionId: this.sessionId,
          seq: this.lastSeq,
          signature,
          ...key,
        },
      });
    } else {
      this.send({
        op: GatewayOp.IDENTIFY,
        d: { deviceId: this.options.deviceId, signature, protocolVersion: PROTOCOL_VERSION, ...key },
      });
    }
    this.clearHeartbeat();
    this.awaitingHeartbeatAck = false;
    this.heartbeatTimer = setInterval(() => {
      if (this.awaitingHeartbeatAck) {
        this.socket?.close(4000, "heartbeat not acknowledged");
        return;
      }
      this.awaitingHeartbeatAck = true;
      this.send({ op: GatewayOp.HEARTBEAT, d: this.lastSeq || null });
    }, hello.heartbeatIntervalMs);
  }

  private clearHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private send(frame: unknown): void {
    if (this.socket && this.socket.readyState === WS_OPEN) this.socket.send(JSON.stringify(frame));
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.stateChanges.emit(state);
  }
}
