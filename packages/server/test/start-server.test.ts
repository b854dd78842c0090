import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";
import { newId } from "@volly/protocol";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { DEFAULT_CONFIG } from "../src/config.js";
import { startServer } from "../src/start-server.js";
import { connectGateway } from "./helpers/gateway-client.js";
import { newKeys, registrationBody } from "./helpers/identity.js";

function memoryLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: "info" }, sink), lines };
}

describe("startServer", () => {
  it("listens on a free port, logs the URL as JSON, and drains on close (gateway 1001 VOLLY_E_SHUTTING_DOWN)", async () => {
    const { dir, remove } = removableTempDir();
    const dataDir = `${dir}/nested/data`;
    const { logger, lines } = memoryLogger();
    const server = await startServer({ ...DEFAULT_CONFIG, port: 0, dataDir, logLevel: "info" }, { logger });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(existsSync(`${dataDir}/volly.db`)).toBe(true);
      const listening = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "listening");
      expect(listening).toMatchObject({ url: server.url });

      const health = await fetch(`${server.url}/healthz`);
      expect(await health.json()).toMatchObject({ status: "ok" });
      const client = await connectGateway(`${server.url.replace("http", "ws")}/v1/gateway`);
      await server.close();
      expect(await client.closed).toEqual({ code: 1001, reason: "VOLLY_E_SHUTTING_DOWN" });
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
      await server.close(); // idempotent
    } finally {
      await server.close();
      remove();
    }
  });

  it("stops while clients keep trying to reconnect: a refused upgrade's socket is closed, not left open", async () => {
    const { dir, remove } = removableTempDir();
    const server = await startServer({ ...DEFAULT_CONFIG, port: 0, dataDir: dir, logLevel: "silent" });
    const sockets: Socket[] = [];
    const statuses: number[] = [];
    const closedByServer: boolean[] = [];
    let stopped = false;
    /**
     * Opens a TCP connection and asks for a gateway upgrade, like a client reconnecting, then keeps the
     * socket open without answering anything (as a browser may keep a connection it got an HTTP answer on).
     */
    const tryUpgrade = () =>
      new Promise<void>((resolve) => {
        const socket = connect(server.port, "127.0.0.1");
        const index = closedByServer.push(false) - 1;
        sockets.push(socket);
        let head = "";
        socket.on("data", (chunk) => {
          if (head.includes("\r\n\r\n")) return;
          head += chunk.toString("latin1");
          if (head.includes("\r\n\r\n")) {
            statuses.push(Number(head.split(" ")[1]));
            resolve();
          }
        });
        socket.on("end", () => {
          closedByServer[index] = true;
        });
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        socket.write(
          `GET /v1/gateway HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\n` +
            `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n` +
            "Sec-WebSocket-Version: 13\r\n\r\n",
        );
      });
    const reconnecting = (async () => {
      while (!stopped) await tryUpgrade();
    })();
    try {
      await waitFor(() => statuses.includes(101), { message: "a gateway upgrade was accepted" });
      await server.close(); // before the fix: never resolved, a refused upgrade's socket held it open
      stopped = true;
      await reconnecting;
      expect(statuses).toContain(503); // refused while shutting down
      const refused = statuses.flatMap((status, i) => (status === 503 ? [i] : []));
      expect(refused.every((i) => closedByServer[i])).toBe(true);
    } finally {
      stopped = true;
      for (const socket of sockets) socket.destroy();
      await server.close();
      remove();
    }
  });

  it("stops past its drain deadline when a client holds a request open (headers never finished)", async () => {
    const { dir, remove } = removableTempDir();
    const { logger, lines } = memoryLogger();
    const server = await startServer(
      { ...DEFAULT_CONFIG, port: 0, dataDir: dir, logLevel: "info" },
      { logger, shutdownDeadlineMs: 300 },
    );
    const socket = connect(server.port, "127.0.0.1");
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    try {
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`); // no blank line: still open
      await waitFor(async () => (await fetch(`${server.url}/healthz`)).ok, { message: "server answers" });
      await server.close(); // before the fix: waited for Node's 60 s headers timeout
      await closed;
      const deadline = lines.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith("drain deadline passed"));
      expect(deadline).toMatchObject({ sockets: 1 });
    } finally {
      socket.destroy();
      await server.close();
      remove();
    }
  });

  it("keeps accounts across a restart on the same data dir", async () => {
    const { dir, remove } = removableTempDir();
    try {
      const config = { ...DEFAULT_CONFIG, port: 0, dataDir: dir, logLevel: "silent" as const };
      const first = await startServer(config);
      const handle = `h${newId()
        .toLowerCase()
        .replace(/[^a-z0-9]/g, "")}`.slice(0, 20);
      const reg = await fetch(`${first.url}/v1/accounts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(registrationBody(handle, newKeys())),
      });
      expect(reg.status).toBe(200);
      await first.close();
      const second = await startServer(config);
      try {
        const res = await fetch(`${second.url}/v1/accounts/${handle}`);
        expect(res.status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      remove();
    }
  });

  it("refuses an unknown ciphersuite with VOLLY_E_USAGE", async () => {
    const { dir, remove } = removableTempDir();
    try {
      await expect(
        startServer({
          ...DEFAULT_CONFIG,
          port: 0,
          dataDir: dir,
          ciphersuite: "MLS_NOPE",
          logLevel: "silent",
        }),
      ).rejects.toMatchObject({ code: "VOLLY_E_USAGE" });
    } finally {
      remove();
    }
  });
});
