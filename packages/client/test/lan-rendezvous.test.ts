import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { VollyError } from "@volly/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { sleep, waitFor } from "../../../test/helpers/wait-for.js";
import {
  type LanFrame,
  LanRendezvous,
  RENDEZVOUS_IDLE_MS,
  RENDEZVOUS_MAX_CONNECTIONS,
  RENDEZVOUS_MAX_FRAME,
  sendRendezvousFrame,
} from "../src/p2p/lan-rendezvous.js";

/** LanRendezvous and sendRendezvousFrame over real loopback TCP sockets. */

const frameOf = (bytes: Uint8Array): Buffer => {
  const out = Buffer.alloc(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  out.set(bytes, 4);
  return out;
};

const opened: Array<LanRendezvous | Socket> = [];

async function rendezvous(
  idleMs?: number,
): Promise<{ server: LanRendezvous; port: number; frames: LanFrame[] }> {
  const server = new LanRendezvous(idleMs === undefined ? {} : { idleMs });
  opened.push(server);
  const frames: LanFrame[] = [];
  server.frame.add((f) => frames.push(f));
  const port = await server.listen("127.0.0.1");
  return { server, port, frames };
}

function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.on("error", reject);
    opened.push(socket);
  });
}

const closed = (socket: Socket) => () => socket.destroyed || socket.readyState === "closed";

afterEach(async () => {
  for (const item of opened.splice(0)) {
    if (item instanceof LanRendezvous) await item.close();
    else item.destroy();
  }
});

describe("LanRendezvous", () => {
  it("delivers frames intact, from sendRendezvousFrame, with the sender's address", async () => {
    const { port, frames } = await rendezvous();
    const big = new Uint8Array(RENDEZVOUS_MAX_FRAME).map((_, i) => (i * 7) % 256);
    await sendRendezvousFrame("127.0.0.1", port, new Uint8Array([1, 2, 3]));
    await sendRendezvousFrame("127.0.0.1", port, new Uint8Array());
    await sendRendezvousFrame("127.0.0.1", port, big);
    await waitFor(() => frames.length === 3, { message: "three frames" });
    expect(frames.map((f) => Array.from(f.bytes.slice(0, 3)))).toEqual([[1, 2, 3], [], [0, 7, 14]]);
    expect(Buffer.from(frames[2]?.bytes ?? []).equals(Buffer.from(big))).toBe(true);
    expect(frames.every((f) => f.remoteAddress === "127.0.0.1")).toBe(true);
  });

  it("reads several frames per connection, split and coalesced arbitrarily", async () => {
    const { port, frames } = await rendezvous();
    const socket = await rawConnection(port);
    const payloads = Array.from({ length: 20 }, (_, i) => new Uint8Array(i * 100).fill(i));
    const stream = Buffer.concat(payloads.map(frameOf));
    // in odd-sized pieces so frames and length prefixes straddle writes
    for (let at = 0; at < stream.length; at += 333) {
      socket.write(stream.subarray(at, at + 333));
      await sleep(1);
    }
    await waitFor(() => frames.length === payloads.length, { message: "20 frames" });
    expect(frames.map((f) => f.bytes.length)).toEqual(payloads.map((p) => p.length));
    expect(frames.every((f, i) => f.bytes.every((b) => b === i))).toBe(true);
    expect(closed(socket)()).toBe(false); // the connection stays open for more
  });

  it("drops a connection announcing an oversized frame and keeps serving", async () => {
    const { port, frames } = await rendezvous();
    const socket = await rawConnection(port);
    socket.on("error", () => {});
    const header = Buffer.alloc(4);
    header.writeUInt32BE(RENDEZVOUS_MAX_FRAME + 1, 0);
    socket.write(Buffer.concat([frameOf(new Uint8Array([9])), header, Buffer.alloc(100)]));
    await waitFor(closed(socket), { message: "the oversized connection closed" });
    expect(frames.map((f) => Array.from(f.bytes))).toEqual([[9]]); // the frame before it arrived
    await sendRendezvousFrame("127.0.0.1", port, new Uint8Array([4, 2]));
    await waitFor(() => frames.length === 2, { message: "a frame after the drop" });
    expect(Array.from(frames[1]?.bytes ?? [])).toEqual([4, 2]);
  });

  it("accepts at most 16 connections at once", async () => {
    const { port, frames } = await rendezvous();
    const sockets = await Promise.all(
      Array.from({ length: RENDEZVOUS_MAX_CONNECTIONS }, () => rawConnection(port)),
    );
    for (const s of sockets) s.write(frameOf(new Uint8Array([1])));
    await waitFor(() => frames.length === RENDEZVOUS_MAX_CONNECTIONS, { message: "16 frames" });
    const extra = await rawConnection(port);
    extra.on("error", () => {});
    await waitFor(closed(extra), { message: "the 17th connection closed" });
    sockets[0]?.destroy();
    await waitFor(
      async () => {
        await sendRendezvousFrame("127.0.0.1", port, new Uint8Array([2]));
        return frames.some((f) => f.bytes[0] === 2);
      },
      { message: "a slot again after one closed", ignoreErrors: true },
    );
  });

  it("closes an idle connection (10 s by default), not one that keeps sending", async () => {
    expect(RENDEZVOUS_IDLE_MS).toBe(10_000);
    const { port, frames } = await rendezvous(400);
    const idle = await rawConnection(port);
    const busy = await rawConnection(port);
    idle.on("error", () => {});
    const started = Date.now();
    const keepSending = setInterval(() => busy.write(frameOf(new Uint8Array([7]))), 100);
    try {
      await waitFor(closed(idle), { message: "the idle connection closed", timeoutMs: 5_000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      await waitFor(() => Date.now() - started > 1_000);
      expect(closed(busy)()).toBe(false);
      expect(frames.length).toBeGreaterThan(5);
    } finally {
      clearInterval(keepSending);
    }
    expect(() => new LanRendezvous({ idleMs: 0 })).toThrow(VollyError);
  });

  it("listen twice is refused; close is idempotent and ends connections", async () => {
    const { server, port } = await rendezvous();
    await expect(server.listen("127.0.0.1")).rejects.toMatchObject({ code: "VOLLY_E_BAD_REQUEST" });
    const socket = await rawConnection(port);
    socket.on("error", () => {});
    await server.close();
    await server.close();
    await waitFor(closed(socket), { message: "connection ended by close" });
    await expect(sendRendezvousFrame("127.0.0.1", port, new Uint8Array([1]))).rejects.toMatchObject({
      code: "VOLLY_E_SERVER_UNREACHABLE",
    });
  });
});

describe("sendRendezvousFrame", () => {
  it("rejects with VOLLY_E_SERVER_UNREACHABLE for a closed port", async () => {
    // a port that was just free: listen, note it, close
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const address = probe.address();
    const port = typeof address === "object" && address ? address.port : 0;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await sendRendezvousFrame("127.0.0.1", port, new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VollyError);
    expect(error).toMatchObject({
      code: "VOLLY_E_SERVER_UNREACHABLE",
      details: { port, cause: "ECONNREFUSED" },
    });
  });

  it("rejects with VOLLY_E_SERVER_UNREACHABLE when the address does not answer (timeout or no route)", async () => {
    // a listener whose backlog never accepts still completes TCP handshakes; use an unroutable
    // TEST-NET-1 address instead (RFC 5737), which never answers
    const error = await sendRendezvousFrame("192.0.2.1", 9, new Uint8Array([1]), 300).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "VOLLY_E_SERVER_UNREACHABLE" });
  });

  it("refuses an oversized payload or an invalid port before connecting", async () => {
    await expect(
      sendRendezvousFrame("127.0.0.1", 1, new Uint8Array(RENDEZVOUS_MAX_FRAME + 1)),
    ).rejects.toMatchObject({ code: "VOLLY_E_FRAME_TOO_LARGE" });
    await expect(sendRendezvousFrame("127.0.0.1", 0, new Uint8Array(1))).rejects.toMatchObject({
      code: "VOLLY_E_BAD_REQUEST",
    });
  });
});
