import { randomBytes } from "node:crypto";
import type { TSchema } from "@sinclair/typebox";
import { JanusErrorReply, JanusIdReply, JanusInfoReply, matches, VollyError } from "@volly/protocol";
import WebSocket from "ws";

/** How long a request waits for Janus's answer before it fails (ms), by default. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** How often a session sends `keepalive` (ms): well inside Janus's default 60 s session timeout. */
const KEEPALIVE_INTERVAL_MS = 25_000;

/** Options of {@link JanusClient.connect}. */
export interface JanusClientOptions {
  /** Janus `api_secret`, sent as `apisecret` in every request (unset: none). */
  apiSecret?: string;
  /** How long to wait for the WebSocket to open and for each answer (ms). Default 10,000. */
  timeoutMs?: number;
}

interface Pending {
  resolve(reply: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

function unavailable(message: string, details: Record<string, unknown> = {}): VollyError {
  return new VollyError("VOLLY_E_SFU_UNAVAILABLE", message, details);
}

/**
 * Returns `reply` typed as `schema`, or throws VOLLY_E_INTERNAL naming what was expected (Janus
 * answered something this client does not understand: a version mismatch, not a user error).
 */
export function expectReply<T extends TSchema>(schema: T, reply: unknown, what: string) {
  if (!matches(schema, reply)) {
    throw new VollyError("VOLLY_E_INTERNAL", `Unexpected answer of the SFU to ${what}.`, { what });
  }
  return reply;
}

/**
 * One WebSocket connection to the Janus API (subprotocol `janus-protocol`): requests carry a random
 * `transaction` and are matched to their answer; `{janus:"error"}` answers reject with
 * VOLLY_E_SFU_REFUSED (details.sfuCode, details.reason); a closed connection or a timeout rejects
 * with VOLLY_E_SFU_UNAVAILABLE. Events without a transaction (media, hangups) are ignored here.
 */
export class JanusClient {
  private readonly pending = new Map<string, Pending>();
  private closedError: VollyError | undefined;

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: JanusClientOptions,
  ) {
    socket.on("message", (data) => this.onMessage(data.toString()));
    socket.on("close", () => this.failAll(unavailable("The connection to the SFU closed.")));
    socket.on("error", () => {}); // close follows
  }

  /**
   * Opens a connection to the Janus WebSocket API at `url` (`ws://127.0.0.1:8188`).
   * @throws VollyError VOLLY_E_SFU_UNAVAILABLE when it cannot be opened within the timeout
   */
  static async connect(url: string, options: JanusClientOptions = {}): Promise<JanusClient> {
    const socket = new WebSocket(url, "janus-protocol", {
      handshakeTimeout: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", (error) =>
        reject(unavailable("The SFU cannot be reached.", { cause: error.message })),
      );
    });
    return new JanusClient(socket, options);
  }

  /** Janus's name, version and loaded plugins and transports (`info`). */
  async info(): Promise<JanusInfoReply> {
    return expectReply(JanusInfoReply, await this.request({ janus: "info" }), "info");
  }

  /** Creates a Janus session (`create`), kept alive until {@link JanusSession.destroy}. */
  async createSession(): Promise<JanusSession> {
    const reply = expectReply(JanusIdReply, await this.request({ janus: "create" }), "create");
    return new JanusSession(this, reply.data.id);
  }

  /**
   * Sends one request and resolves with its answer (`success`, `server_info` or `ack`).
   * @throws VollyError VOLLY_E_SFU_REFUSED (a `{janus:"error"}` answer), VOLLY_E_SFU_UNAVAILABLE
   *   (connection closed or no answer within the timeout)
   */
  request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const transaction = randomBytes(12).toString("base64url");
    const message = {
      ...body,
      transaction,
      ...(this.options.apiSecret !== undefined ? { apisecret: this.options.apiSecret } : {}),
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(unavailable("The SFU did not answer in time.", { request: body.janus }));
      }, this.options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
      this.pending.set(transaction, { resolve, reject, timer });
      this.socket.send(JSON.stringify(message));
    });
  }

  /** Closes the connection; pending requests fail with VOLLY_E_SFU_UNAVAILABLE. Idempotent. */
  close(): void {
    this.failAll(unavailable("The connection to the SFU was closed."));
    this.socket.close();
  }

  private onMessage(text: string): void {
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof reply !== "object" || reply === null) return;
    const { transaction, janus } = reply as { transaction?: unknown; janus?: unknown };
    if (typeof transaction !== "string") return;
    const pending = this.pending.get(transaction);
    // Asynchronous plugin requests answer `ack` first and an event later; the requests of this
    // client are synchronous, so an `ack` is the answer only of a keepalive.
    if (!pending) return;
    this.pending.delete(transaction);
    clearTimeout(pending.timer);
    if (janus === "error") {
      const { error } = expectReply(JanusErrorReply, reply, "a request (error)");
      pending.reject(
        new VollyError("VOLLY_E_SFU_REFUSED", undefined, { sfuCode: error.code, reason: error.reason }),
      );
      return;
    }
    pending.resolve(reply as Record<string, unknown>);
  }

  private failAll(error: VollyError): void {
    this.closedError ??= error;
    for (const [transaction, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(transaction);
    }
  }
}

/** A Janus session: plugin handles hang off it; it sends `keepalive` every 25 s until destroyed. */
export class JanusSession {
  private readonly keepalive: NodeJS.Timeout;

  /**
   * @param client the connection the session was created on
   * @param id Janus's session id
   */
  constructor(
    readonly client: JanusClient,
    readonly id: number,
  ) {
    this.keepalive = setInterval(() => {
      this.client.request({ janus: "keepalive", session_id: id }).catch(() => {});
    }, KEEPALIVE_INTERVAL_MS).unref();
  }

  /**
   * Attaches to `plugin` (e.g. `janus.plugin.videoroom`); resolves with the handle id.
   * @throws VollyError VOLLY_E_SFU_REFUSED (plugin not loaded: Janus code 460), VOLLY_E_SFU_UNAVAILABLE
   */
  async attach(plugin: string): Promise<number> {
    const reply = await this.client.request({ janus: "attach", session_id: this.id, plugin });
    return expectReply(JanusIdReply, reply, "attach").data.id;
  }

  /** Sends a plugin `message` on `handleId` and resolves with the answer (`success` with plugindata). */
  message(handleId: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.client.request({ janus: "message", session_id: this.id, handle_id: handleId, body });
  }

  /** Destroys the session (its handles go with it) and stops the keepalive. */
  async destroy(): Promise<void> {
    clearInterval(this.keepalive);
    await this.client.request({ janus: "destroy", session_id: this.id });
  }
}
