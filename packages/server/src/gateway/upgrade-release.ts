import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyRequest } from "fastify";
import type { WebSocket } from "ws";

/**
 * Lets the upgrade's HTTP request and response be garbage-collected once the WebSocket is open.
 * `@fastify/websocket` keeps both reachable for the socket's whole life: its `error` listener on
 * the WebSocket closes over the Fastify request and reply, and the net socket's `_httpMessage` is
 * the `ServerResponse` it assigned for routing (Node's `ServerResponse#assignSocket`), which holds
 * the `IncomingMessage` with its headers — about 2–3 KiB per idle connection. This replaces that
 * listener with `onError` (which sees only the error) and detaches the response from the socket
 * (`ServerResponse#detachSocket`: the HTTP exchange ended with the 101 answer).
 *
 * Call it first thing in the route's `wsHandler`, before anything else listens for `error`.
 *
 * @param socket the upgraded WebSocket
 * @param request the upgrade request as Fastify passed it to the `wsHandler`
 * @param onError what the socket's errors go to from now on
 */
export function releaseUpgradeRequest(
  socket: WebSocket,
  request: FastifyRequest,
  onError: (error: Error) => void,
): void {
  socket.removeAllListeners("error");
  socket.on("error", onError);
  const raw = request.raw.socket as (Socket & { _httpMessage?: ServerResponse | null }) | null;
  const response = raw?._httpMessage;
  if (raw && response && typeof response.detachSocket === "function") response.detachSocket(raw);
}
