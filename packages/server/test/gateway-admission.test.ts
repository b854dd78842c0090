import { GatewayOp, LIMITS } from "@volly/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { ServerConfig } from "../src/config.js";
import { type AppFixture, appFixture, registerOverHttp } from "./helpers/app.js";
import { connectGateway, type GatewayClient, identifyFrame } from "./helpers/gateway-client.js";
import { expectStillServing } from "./helpers/live-server.js";

/** The outcome of a WebSocket upgrade: open, or refused with an HTTP status and body. */
type Upgrade = { open: WebSocket } | { status: number; body: { code: string; message: string } };

/** Attempts an upgrade with these headers; resolves once it is open or refused. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.on("open", () => resolve({ open: ws }));
    ws.on("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) }));
    });
    ws.on("error", (error) => {
      if (ws.readyState !== ws.OPEN) reject(error);
    });
  });
}

function expectRefused(result: Upgrade, status: number, code: string) {
  expect("status" in result ? { status: result.status, code: result.body.code } : "open").toEqual({
    status,
    code,
  });
}

describe("gateway admission: identify deadline, unauthenticated connections per address, Origin", () => {
  let f: AppFixture | undefined;
  const sockets: WebSocket[] = [];
  const clients: GatewayClient[] = [];
  afterEach(async () => {
    for (const ws of sockets) ws.terminate();
    sockets.length = 0;
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await f?.close();
    f = undefined;
  });
  const start = async (overrides: Partial<ServerConfig>) => {
    f = await appFixture(overrides);
    const base = await f.app.listen({ port: 0, host: "127.0.0.1" });
    return { base, url: `${base.replace("http", "ws")}/v1/gateway` };
  };
  const connect = async (url: string) => {
    const client = await connectGateway(url);
    clients.push(client);
    return client;
  };
  const opened = (result: Upgrade): WebSocket => {
    if (!("open" in result)) throw new Error(`refused: ${result.status} ${result.body.code}`);
    sockets.push(result.open);
    return result.open;
  };

  it("closes a connection that heartbeats but never identifies with VOLLY_E_IDENTIFY_TIMEOUT (4011); identified ones stay", async () => {
    const { url } = await start({ gatewayIdentifyTimeoutMs: 1_000, heartbeatIntervalMs: 300 });
    const alice = await registerOverHttp(f!.app);
    const idle = await connect(url);
    const identified = await connect(url);
    identified.send(identifyFrame(identified, alice.deviceId, alice.keys));
    await identified.nextDispatch("READY");
    const beat = setInterval(() => {
      for (const c of [idle, identified])
        if (c.ws.readyState === c.ws.OPEN) c.send({ op: GatewayOp.HEARTBEAT, d: null });
    }, 50);
    try {
      const closed = await Promise.race([
        idle.closed,
        new Promise<"still open">((resolve) => setTimeout(() => resolve("still open"), 5_000)),
      ]);
      expect(closed).toEqual({ code: 4011, reason: "VOLLY_E_IDENTIFY_TIMEOUT" });
      expect(idle.received.find((x) => x.op === GatewayOp.ERROR)?.d).toMatchObject({
        code: "VOLLY_E_IDENTIFY_TIMEOUT",
      });
      await expectStillServing(identified);
    } finally {
      clearInterval(beat);
    }
  });

  it("refuses one unauthenticated connection too many from an address with 429 VOLLY_E_TOO_MANY_CONNECTIONS before the upgrade; identifying or closing frees a place", async () => {
    const { url } = await start({ gatewayMaxUnauthenticatedPerIp: 3 });
    const alice = await registerOverHttp(f!.app);
    const held = [await connect(url), await connect(url), await connect(url)];
    const refused = await upgrade(url);
    expectRefused(refused, 429, "VOLLY_E_TOO_MANY_CONNECTIONS");
    // Identifying one frees its place; authenticated connections are not capped by this.
    held[0]!.send(identifyFrame(held[0]!, alice.deviceId, alice.keys));
    await held[0]!.nextDispatch("READY");
    const fourth = await connect(url);
    expectRefused(await upgrade(url), 429, "VOLLY_E_TOO_MANY_CONNECTIONS");
    await held[1]!.close();
    // The server frees the place when it sees the close, which may be just after the client does.
    let fifth: GatewayClient | undefined;
    for (let attempt = 0; !fifth; attempt++) {
      const result = await upgrade(url);
      if ("open" in result) {
        result.open.terminate();
        fifth = await connect(url);
      } else if (attempt > 100) {
        throw new Error("the closed connection's place was never freed");
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    for (const c of [held[0]!, held[2]!, fourth, fifth]) await expectStillServing(c);
  });

  it("counts the forwarded address behind a trusted proxy (VOLLY_TRUST_PROXY), and the peer's otherwise", async () => {
    const trusted = await start({ gatewayMaxUnauthenticatedPerIp: 1, trustProxy: ["127.0.0.1"] });
    opened(await upgrade(trusted.url, { "x-forwarded-for": "198.51.100.1" }));
    opened(await upgrade(trusted.url, { "x-forwarded-for": "198.51.100.2" }));
    expectRefused(
      await upgrade(trusted.url, { "x-forwarded-for": "198.51.100.1" }),
      429,
      "VOLLY_E_TOO_MANY_CONNECTIONS",
    );
    for (const ws of sockets.splice(0)) ws.terminate();
    await f!.close();
    const direct = await start({ gatewayMaxUnauthenticatedPerIp: 1 });
    opened(await upgrade(direct.url, { "x-forwarded-for": "198.51.100.1" }));
    expectRefused(
      await upgrade(direct.url, { "x-forwarded-for": "198.51.100.2" }),
      429,
      "VOLLY_E_TOO_MANY_CONNECTIONS",
    );
  });

  it("refuses a foreign Origin with 403 VOLLY_E_ORIGIN_NOT_ALLOWED before the upgrade; allows its own origin, configured ones and none", async () => {
    const { base, url } = await start({ allowedOrigins: ["https://app.example.org"] });
    for (const origin of [
      "https://evil.example",
      "null",
      "http://127.0.0.1:1",
      "https://app.example.org.evil.example",
    ]) {
      expectRefused(await upgrade(url, { origin }), 403, "VOLLY_E_ORIGIN_NOT_ALLOWED");
    }
    const own = opened(await upgrade(url, { origin: base }));
    const configured = opened(await upgrade(url, { origin: "https://app.example.org" }));
    const none = opened(await upgrade(url));
    for (const ws of [own, configured, none]) expect(ws.readyState).toBe(ws.OPEN);
    // The server's own name behind a proxy: Host and Origin agree whatever the scheme.
    opened(await upgrade(url, { origin: "https://chat.example.org", host: "chat.example.org" }));
  });

  it("refuses a frame nested deeper than LIMITS.maxJsonDepth with ERROR VOLLY_E_BAD_REQUEST before parsing; the connection stays", async () => {
    const { url } = await start({});
    const client = await connect(url);
    const depth = 20_000;
    client.send(`{"op":12,"d":{"cursors":${"[".repeat(depth)}${"]".repeat(depth)},"welcomeIds":[]}}`);
    const error = await client.next((x) => x.op === GatewayOp.ERROR);
    expect(error.d).toMatchObject({
      code: "VOLLY_E_BAD_REQUEST",
      details: { maxDepth: LIMITS.maxJsonDepth },
    });
    await expectStillServing(client);
  });
});
