import type { MemberEvent } from "@volly/bot";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { EventHub } from "./event-hub.js";

/** Milliseconds between SSE comment lines that keep idle proxies and clients from timing out. */
export const SSE_HEARTBEAT_MS = 15_000;

/** One event in SSE wire format (WHATWG HTML §9.2.6): `id:` = the message id, `data:` = its JSON. */
export function sseFrame(event: MemberEvent): string {
  return `id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The open SSE streams, so the daemon can end them when it shuts down. */
export class SseStreams {
  private readonly open = new Set<FastifyReply>();

  /**
   * Serves `GET /v1/events`: `text/event-stream`, a `: connected` comment once subscribed (a client
   * may send after seeing it and will not miss the answer), then one frame per event. With a
   * `Last-Event-ID` header, the kept events after that id are sent first.
   */
  serve(hub: EventHub, request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const lastId = request.headers["last-event-id"];
    const backlog = typeof lastId === "string" ? hub.since(lastId) : [];
    const unsubscribe = hub.subscribe((event) => raw.write(sseFrame(event)));
    raw.write(`retry: 3000\n: connected\n\n${backlog.map(sseFrame).join("")}`);
    const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    this.open.add(reply);
    raw.on("close", () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.open.delete(reply);
    });
  }

  /** Ends every open stream (daemon shutdown). */
  closeAll(): void {
    for (const reply of this.open) reply.raw.end();
    this.open.clear();
  }
}
