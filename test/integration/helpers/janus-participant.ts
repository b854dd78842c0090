import { randomBytes } from "node:crypto";
import WebSocket from "ws";

/**
 * A bare Janus VideoRoom participant over the WebSocket API, as a voice channel client talks to
 * the SFU: every request carries the signed gateway token; `join` carries the room's join token.
 * No media: joining as a publisher is enough to be listed in the room.
 */
export class JanusParticipant {
  private readonly waiting = new Map<string, (reply: Record<string, unknown>) => void>();
  private session = 0;
  private handle = 0;

  private constructor(
    private readonly socket: WebSocket,
    private readonly gatewayToken: string | undefined,
  ) {
    socket.on("message", (data) => {
      const reply = JSON.parse(data.toString()) as Record<string, unknown>;
      if (reply.janus === "ack") return; // the plugin's answer follows as an event
      const resolve = this.waiting.get(String(reply.transaction));
      if (resolve) {
        this.waiting.delete(String(reply.transaction));
        resolve(reply);
      }
    });
  }

  /** Connects, creates a session and attaches VideoRoom; rejects with Janus's error answer. */
  static async open(url: string, gatewayToken: string | undefined): Promise<JanusParticipant> {
    const socket = new WebSocket(url, "janus-protocol");
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const p = new JanusParticipant(socket, gatewayToken);
    try {
      p.session = p.idOf(await p.request({ janus: "create" }));
      p.handle = p.idOf(await p.request({ janus: "attach", plugin: "janus.plugin.videoroom" }));
    } catch (error) {
      p.close();
      throw error;
    }
    return p;
  }

  /** Joins `room` as publisher `id` with `token`; resolves with the plugin's answer data (videoroom "joined" or an error_code). */
  async join(room: number, id: number, token: string | undefined): Promise<Record<string, unknown>> {
    const reply = await this.request({
      janus: "message",
      handle_id: this.handle,
      body: { request: "join", ptype: "publisher", room, id, ...(token !== undefined ? { token } : {}) },
    });
    return (reply.plugindata as { data: Record<string, unknown> }).data;
  }

  close(): void {
    this.socket.close();
  }

  private idOf(reply: Record<string, unknown>): number {
    if (reply.janus !== "success") throw Object.assign(new Error("janus refused"), { reply });
    return (reply.data as { id: number }).id;
  }

  private request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const transaction = randomBytes(8).toString("hex");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`janus: no answer to ${String(body.janus)}`)), 10_000);
      this.waiting.set(transaction, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.socket.send(
        JSON.stringify({
          ...body,
          transaction,
          ...(this.session ? { session_id: this.session } : {}),
          ...(this.gatewayToken !== undefined ? { token: this.gatewayToken } : {}),
        }),
      );
    });
  }
}
