import { connect, createServer, type Server, type Socket } from "node:net";

/** What the proxy does to the first connection that sends more than `afterBytes` upstream. */
export type BigUploadAction = { afterBytes: number; action: "cut" | "hold" };

/**
 * A loopback TCP proxy in front of a server (HTTP and WebSocket pass through as bytes): it counts
 * what clients send, and can cut or hold the first connection that sends more than a threshold
 * after it was armed — a tus PATCH carrying file bytes, as nothing else a client sends is that large. It reads the
 * `Upload-Offset` headers of the server's answers, so a test sees where an upload resumed.
 */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: give this to clients as the server URL. */
  url: string;
  /** Bytes clients sent upstream so far (all connections). */
  upstreamBytes(): number;
  /** Every `Upload-Offset` the server answered with, in order. */
  offsets(): number[];
  /** Arms one cut or hold (see {@link BigUploadAction}). */
  arm(action: BigUploadAction): void;
  /** Whether an armed action happened. */
  fired(): boolean;
  /** Lets held connections go on (and arms nothing). */
  release(): void;
  /** Closes held connections without passing on what they still had to send (and arms nothing). */
  dropHeld(): void;
  close(): Promise<void>;
}

/** Starts a {@link TcpProxy} to `target` (`http://host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  let upstream = 0;
  let armed: BigUploadAction | undefined;
  let fired = false;
  const held: Array<{ client: Socket; end: () => void }> = [];
  const offsets: number[] = [];
  const sockets = new Set<Socket>();
  /** Bytes each open connection sent since the last {@link TcpProxy.arm} (keep-alive sockets are reused). */
  const sentSinceArm = new Map<Socket, number>();
  const server: Server = createServer((client) => {
    const server = connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(server);
    sentSinceArm.set(client, 0);
    let answer = "";
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
      sentSinceArm.delete(client);
    };
    client.on("error", end);
    server.on("error", end);
    client.on("close", end);
    server.on("close", end);
    server.on("data", (d: Buffer) => {
      answer = (answer + d.toString("latin1")).slice(-4096);
      for (const m of answer.matchAll(/upload-offset: (\d+)\r\n/gi)) offsets.push(Number(m[1]));
      answer = answer.replace(/upload-offset: \d+\r\n/gi, "");
      client.write(d);
    });
    client.on("data", (d: Buffer) => {
      upstream += d.length;
      const sent = (sentSinceArm.get(client) ?? 0) + d.length;
      sentSinceArm.set(client, sent);
      server.write(d);
      if (armed && sent > armed.afterBytes) {
        const action = armed.action;
        armed = undefined;
        fired = true;
        if (action === "cut") end();
        else {
          client.pause();
          held.push({ client, end });
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    upstreamBytes: () => upstream,
    offsets: () => [...offsets],
    arm(action) {
      armed = action;
      fired = false;
      for (const socket of sentSinceArm.keys()) sentSinceArm.set(socket, 0);
    },
    fired: () => fired,
    release() {
      armed = undefined;
      for (const h of held.splice(0)) h.client.resume();
    },
    dropHeld() {
      armed = undefined;
      for (const h of held.splice(0)) h.end();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
