import type { Server, Socket } from "node:net";

const tracked = new WeakMap<Server, Set<Socket>>();

/**
 * Keeps a set of the server's open TCP sockets, including those upgraded to WebSocket, which leave
 * Node's HTTP connection tracking (`closeAllConnections` does not reach them).
 * @param server a `node:http` or `node:https` server, before it listens.
 */
export function trackSockets(server: Server): void {
  const sockets = new Set<Socket>();
  tracked.set(server, sockets);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
}

/** How many sockets the server tracked by {@link trackSockets} has open (0 when untracked). */
export function openSockets(server: Server): number {
  return tracked.get(server)?.size ?? 0;
}

/** Destroys every open socket of a server tracked by {@link trackSockets}; used past the drain deadline. */
export function destroySockets(server: Server): void {
  for (const socket of tracked.get(server) ?? []) socket.destroy();
}
