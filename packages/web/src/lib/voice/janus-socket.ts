/**
 * The browser's connection to the Janus WebSocket API (subprotocol `janus-protocol`, Janus 1.x JSON
 * API): one session, kept alive every 25 s, requests matched to their answer by `transaction`, every
 * reply checked against its schema (`@volly/protocol` janus.ts). Asynchronous plugin requests
 * (`join`, `configure`, `start`) answer `ack` first and their `event` later: {@link JanusSocket.send}
 * resolves with that event. Events without a transaction go to the handle's listener.
 */
import {
  JanusAck,
  JanusErrorReply,
  JanusHandleEvent,
  JanusIdReply,
  type JanusJsep,
  JanusPluginEvent,
  matches,
  VideoRoomError,
  VollyError,
} from "@volly/protocol";

/** How long a request waits for its answer (ms). */
const REQUEST_TIMEOUT_MS = 15_000;
/** How often the session is kept alive (ms): inside Janus's default 60 s session timeout. */
const KEEPALIVE_MS = 25_000;

/** What a handle hears without asking: room events and its PeerConnection's state. */
export type HandleListener = (event: JanusPluginEvent | { janus: string; sender: number }) => void;

interface Pending {
  /** An asynchronous request: `ack` is not its answer, the `event` is. */
  async: boolean;
  resolve(reply: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

function unavailable(message: string): VollyError {
  return new VollyError("VOLLY_E_SFU_UNAVAILABLE", message);
}

/** A Janus session over one WebSocket. Errors: VOLLY_E_SFU_UNAVAILABLE, VOLLY_E_SFU_REFUSED (details.sfuCode). */
export class JanusSocket {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<number, HandleListener>();
  private sessionId = 0;
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Called once when the connection drops (not after {@link close}). */
  onclose: (() => void) | undefined;

  private constructor(
    private readonly ws: WebSocket,
    private readonly token: string | undefined,
  ) {
    ws.onmessage = (ev) => this.onMessage(typeof ev.data === "string" ? ev.data : "");
    ws.onclose = () => {
      this.failAll(unavailable("The connection to the voice server closed."));
      if (!this.closed) this.onclose?.();
      this.closed = true;
    };
  }

  /**
   * Opens the WebSocket at `url` and creates a session.
   * @param token Janus's signed gateway token (`sfu.gatewayToken` of the join answer), sent with every request
   */
  static async open(url: string, token: string | undefined): Promise<JanusSocket> {
    const ws = new WebSocket(url, "janus-protocol");
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(unavailable("The voice server cannot be reached."));
    });
    const socket = new JanusSocket(ws, token);
    const reply = socket.check(JanusIdReply, await socket.request({ janus: "create" }, false), "create");
    socket.sessionId = reply.data.id;
    socket.keepalive = setInterval(() => {
      socket.request({ janus: "keepalive" }, false).catch(() => undefined);
    }, KEEPALIVE_MS);
    return socket;
  }

  /** Attaches the VideoRoom plugin; `listener` hears the handle's events. Resolves with the handle id. */
  async attach(listener: HandleListener): Promise<number> {
    const reply = await this.request({ janus: "attach", plugin: "janus.plugin.videoroom" }, false);
    const id = this.check(JanusIdReply, reply, "attach").data.id;
    this.listeners.set(id, listener);
    return id;
  }

  /**
   * Sends a plugin request on `handle` and resolves with the plugin's answer (its `data` and `jsep`).
   * @throws VollyError VOLLY_E_SFU_REFUSED when VideoRoom refuses (details.sfuCode, details.reason)
   */
  async send(
    handle: number,
    body: Record<string, unknown>,
    jsep?: JanusJsep,
  ): Promise<{ data: Record<string, unknown>; jsep?: JanusJsep }> {
    const reply = await this.request(
      { janus: "message", handle_id: handle, body, ...(jsep ? { jsep } : {}) },
      true,
    );
    const event = this.check(JanusPluginEvent, reply, String(body.request));
    const data = event.plugindata.data;
    if (matches(VideoRoomError, data)) {
      throw new VollyError("VOLLY_E_SFU_REFUSED", undefined, {
        sfuCode: data.error_code,
        reason: data.error,
      });
    }
    return { data, ...(event.jsep ? { jsep: event.jsep } : {}) };
  }

  /** Sends one of this side's ICE candidates (`null`: gathering completed) on `handle`. */
  trickle(handle: number, candidate: RTCIceCandidateInit | null): void {
    const body = candidate ? { candidate } : { candidate: { completed: true } };
    this.request({ janus: "trickle", handle_id: handle, ...body }, false).catch(() => undefined);
  }

  /** Detaches `handle` (best effort). */
  detach(handle: number): void {
    this.listeners.delete(handle);
    this.request({ janus: "detach", handle_id: handle }, false).catch(() => undefined);
  }

  /** Destroys the session and closes the connection. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    if (this.ws.readyState === WebSocket.OPEN && this.sessionId) {
      this.ws.send(
        JSON.stringify({ janus: "destroy", session_id: this.sessionId, transaction: "bye", ...this.auth() }),
      );
    }
    this.failAll(unavailable("The connection to the voice server was closed."));
    this.ws.close();
  }

  private auth(): Record<string, string> {
    return this.token !== undefined ? { token: this.token } : {};
  }

  private request(body: Record<string, unknown>, async: boolean): Promise<Record<string, unknown>> {
    if (this.ws.readyState !== WebSocket.OPEN)
      return Promise.reject(unavailable("Not connected to the voice server."));
    const transaction = crypto.randomUUID();
    const message = {
      ...body,
      transaction,
      ...(this.sessionId ? { session_id: this.sessionId } : {}),
      ...this.auth(),
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(unavailable("The voice server did not answer in time."));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(transaction, { async, resolve, reject, timer });
      this.ws.send(JSON.stringify(message));
    });
  }

  private check<T extends Parameters<typeof matches>[0]>(schema: T, reply: unknown, what: string) {
    if (!matches(schema, reply)) {
      throw new VollyError("VOLLY_E_INTERNAL", `Unexpected answer of the voice server to ${what}.`, { what });
    }
    return reply;
  }

  private onMessage(text: string): void {
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof reply !== "object" || reply === null) return;
    const { transaction } = reply as { transaction?: unknown };
    const pending = typeof transaction === "string" ? this.pending.get(transaction) : undefined;
    if (pending) {
      if (pending.async && matches(JanusAck, reply)) return; // its event follows
      this.pending.delete(transaction as string);
      clearTimeout(pending.timer);
      if (matches(JanusErrorReply, reply)) {
        pending.reject(
          new VollyError("VOLLY_E_SFU_REFUSED", undefined, {
            sfuCode: reply.error.code,
            reason: reply.error.reason,
          }),
        );
      } else pending.resolve(reply as Record<string, unknown>);
      return;
    }
    if (matches(JanusPluginEvent, reply) || matches(JanusHandleEvent, reply)) {
      this.listeners.get(reply.sender)?.(reply);
    }
  }

  private failAll(error: VollyError): void {
    for (const [transaction, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(transaction);
    }
  }
}
