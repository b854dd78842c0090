import { execFileSync } from "node:child_process";
import { request } from "node:https";
import { GatewayOp } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { DEFAULT_CONFIG } from "../src/config.js";
import { startServer } from "../src/start-server.js";
import { appFixture } from "./helpers/app.js";

describe("Strict-Transport-Security (RFC 6797)", () => {
  it("is sent behind a trusted proxy that says the request came over https, never on plain http", async () => {
    const f = await appFixture({ trustProxy: ["127.0.0.1"] });
    try {
      const get = (url: string, remoteAddress: string, proto?: string) =>
        f.app.inject({
          method: "GET",
          url,
          remoteAddress,
          headers: proto ? { "x-forwarded-proto": proto } : {},
        });
      for (const url of ["/healthz", "/v1/accounts/nobody1", "/v1/nowhere"]) {
        const https = await get(url, "127.0.0.1", "https");
        expect(https.headers["strict-transport-security"]).toBe("max-age=31536000");
        expect(https.headers["x-content-type-options"]).toBe("nosniff");
        expect((await get(url, "127.0.0.1", "http")).headers["strict-transport-security"]).toBeUndefined();
        expect((await get(url, "127.0.0.1")).headers["strict-transport-security"]).toBeUndefined();
        // An untrusted client claiming https is on plain http.
        expect((await get(url, "203.0.113.7", "https")).headers["strict-transport-security"]).toBeUndefined();
      }
    } finally {
      await f.close();
    }
  });

  it("is not sent when no proxy is trusted, whatever X-Forwarded-Proto says", async () => {
    const f = await appFixture();
    try {
      const res = await f.app.inject({
        method: "GET",
        url: "/healthz",
        remoteAddress: "127.0.0.1",
        headers: { "x-forwarded-proto": "https" },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers["strict-transport-security"]).toBeUndefined();
    } finally {
      await f.close();
    }
  });
});

describe("TLS ended by Volly itself (VOLLY_TLS_CERT_FILE, VOLLY_TLS_KEY_FILE)", () => {
  it("serves HTTPS with Strict-Transport-Security, and the gateway over WSS", async () => {
    const { dir, remove } = removableTempDir();
    // A throwaway self-signed certificate for 127.0.0.1 (Debian's openssl).
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
      { stdio: "ignore" },
    );
    const server = await startServer({
      ...DEFAULT_CONFIG,
      port: 0,
      dataDir: dir,
      logLevel: "silent",
      tlsCertFile: `${dir}/cert.pem`,
      tlsKeyFile: `${dir}/key.pem`,
    });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const req = request(`${server.url}/healthz`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode, ...res.headers }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(headers.status).toBe(200);
      expect(headers["strict-transport-security"]).toBe("max-age=31536000");
      const ws = new WebSocket(`${server.url.replace("https", "wss")}/v1/gateway`, {
        rejectUnauthorized: false,
      });
      const hello = await new Promise<{ op: number }>((resolve, reject) => {
        ws.once("message", (data) => resolve(JSON.parse(String(data))));
        ws.once("error", reject);
      });
      expect(hello.op).toBe(GatewayOp.HELLO);
      ws.terminate();
    } finally {
      await server.close();
      remove();
    }
  });
});
