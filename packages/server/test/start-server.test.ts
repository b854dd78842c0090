import { existsSync } from "node:fs";
import { Writable } from "node:stream";
import { newId } from "@volly/protocol";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
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
