import { createConnection, createServer, type Server, type Socket } from "node:net";
import { VollyError } from "@volly/protocol";
import { ListenerSet } from "../shared/listeners.js";

/**
 * A tiny TCP rendezvous for LAN peers (Node only): the port a device announces by mDNS
 * (`lan-discovery.ts`), where peers drop opaque frames, e.g. MLS-sealed WebRTC signaling. The
 * rendezvous neither reads nor answers frames: each is a 4-byte big-endian length followed by that
 * many bytes (0 to {@link RENDEZVOUS_MAX_FRAME}); a connection carries any number of frames until
 * the peer closes it. Whatever arrives is untrusted: the caller authenticates the bytes.
 */

/** Largest frame payload accepted and sent (bytes): 64 KiB. */
export const RENDEZVOUS_MAX_FRAME = 64 * 1024;
/** At most this many connections at once; more are closed on arrival. */
export const RENDEZVOUS_MAX_CONNECTIONS = 16;
/** A connection that sends nothing for this long (ms) is closed (default of {@link LanRendezvousOptions.idleMs}). */
export const RENDEZVOUS_IDLE_MS = 10_000;

/** Options of {@link LanRendezvous}. */
export interface LanRendezvousOptions {
  /** Close a connection that sends nothing for this many ms (default {@link RENDEZVOUS_IDLE_MS}). */
  idleMs?: number;
}

/** A frame received by a {@link LanRendezvous}. */
export interface LanFrame {
  /** The frame's payload (without the length prefix). */
  bytes: Uint8Array;
  /** The sender's IP address as the socket saw it. */
  remoteAddress: string;
}

/**
 * The listening side: accepts connections and emits each complete frame. A connection whose
 * length prefix exceeds {@link RENDEZVOUS_MAX_FRAME}, that idles 10 s (`idleMs`), or that arrives
 * while 16 are open is closed; the frames it completed before were emitted; the server keeps serving.
 */
export class LanRendezvous {
  /** Each frame received, in order per connection. */
  readonly frame = new ListenerSet<LanFrame>();

  private server: Server | undefined;
  private readonly connections = new Set<Socket>();
  private readonly idleMs: number;

  /**
   * @param options see {@link LanRendezvousOptions}
   * @throws VollyError VOLLY_E_BAD_REQUEST when `idleMs` is not a positive integer
   */
  constructor(options: LanRendezvousOptions = {}) {
    const idleMs = options.idleMs ?? RENDEZVOUS_IDLE_MS;
    if (!Number.isInteger(idleMs) || idleMs < 1) {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "idleMs is a positive integer (ms).", { idleMs });
    }
    this.idleMs = idleMs;
  }

  /**
   * Starts listening.
   *
   * @param host the address to listen on (default all IPv4 addresses)
   * @param port the TCP port (default 0: one the system picks)
   * @returns the port listened on
   * @throws VollyError VOLLY_E_BAD_REQUEST when already listening; the listen error (EADDRINUSE,
   *   EACCES, …) when the port cannot be taken
   */
  async listen(host = "0.0.0.0", port = 0): Promise<number> {
    if (this.server) throw new VollyError("VOLLY_E_BAD_REQUEST", "The rendezvous is already listening.");
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = RENDEZVOUS_MAX_CONNECTIONS;
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      this.server = undefined;
      throw err;
    }
    server.on("error", () => {}); // after listening: per-connection errors are handled per socket
    const address = server.address();
    return typeof address === "object" && address ? address.port : port;
  }

  /** Stops listening and closes every open connection. Idempotent. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const remoteAddress = socket.remoteAddress ?? "";
    this.connections.add(socket);
    socket.on("close", () => this.connections.delete(socket));
    socket.on("error", () => {}); // a reset by the peer just ends the connection
    socket.setTimeout(this.idleMs, () => socket.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const length = buffered.readUInt32BE(0);
        if (length > RENDEZVOUS_MAX_FRAME) {
          buffered = Buffer.alloc(0);
          socket.destroy();
          return;
        }
        if (buffered.length < 4 + length) break;
        const bytes = new Uint8Array(buffered.subarray(4, 4 + length)); // a copy: `buffered` is reused
        buffered = buffered.subarray(4 + length);
        this.frame.emit({ bytes, remoteAddress });
      }
    });
  }
}

/**
 * Connects to a peer's rendezvous, writes one frame and closes the connection.
 *
 * @param host the peer's IPv4 or IPv6 address (or a host name)
 * @param port its rendezvous TCP port (1–65535)
 * @param bytes the frame's payload, at most {@link RENDEZVOUS_MAX_FRAME} bytes
 * @param timeoutMs give up after this many ms in all (connect and write; default 5,000)
 * @throws VollyError VOLLY_E_FRAME_TOO_LARGE for a payload over 64 KiB; VOLLY_E_BAD_REQUEST for an
 *   invalid port; VOLLY_E_SERVER_UNREACHABLE (retry later) when the peer cannot be reached, refuses,
 *   resets the connection or the time runs out (details: host, port, cause)
 */
export async function sendRendezvousFrame(
  host: string,
  port: number,
  bytes: Uint8Array,
  timeoutMs = 5_000,
): Promise<void> {
  if (bytes.length > RENDEZVOUS_MAX_FRAME) {
    throw new VollyError(
      "VOLLY_E_FRAME_TOO_LARGE",
      `A rendezvous frame holds at most ${RENDEZVOUS_MAX_FRAME} bytes.`,
      {
        size: bytes.length,
        max: RENDEZVOUS_MAX_FRAME,
      },
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new VollyError("VOLLY_E_BAD_REQUEST", "A rendezvous port is an integer from 1 to 65535.", { port });
  }
  const frame = Buffer.alloc(4 + bytes.length);
  frame.writeUInt32BE(bytes.length, 0);
  frame.set(bytes, 4);
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host, port });
    let settled = false;
    const fail = (cause: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(
        new VollyError(
          "VOLLY_E_SERVER_UNREACHABLE",
          `The peer's rendezvous at ${host}:${port} cannot be reached.`,
          {
            host,
            port,
            cause,
          },
        ),
      );
    };
    const timer = setTimeout(() => fail("timeout"), timeoutMs);
    socket.on("error", (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    socket.on("connect", () => {
      socket.end(frame);
    });
    // resolved once the frame is flushed and our side closed, the peer's close following (or not)
    socket.on("finish", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroySoon();
      resolve();
    });
  });
}
