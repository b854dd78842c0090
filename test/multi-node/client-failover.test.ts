import { join } from "node:path";
import { initNodeProfile, nodeSocketFactory } from "@volly/client/node";
import { createGatewayConnection, HttpApi } from "@volly/client/testing";
import { VollyError } from "@volly/protocol";
import { DEFAULT_CONFIG, type RunningServer, startServer } from "@volly/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../packages/server/test/helpers/redis-server.js";
import { waitFor } from "../helpers/wait-for.js";
import { TEST_KDF } from "./helpers/clients.js";
import { scratchDir } from "./helpers/node-process.js";

describe("client failover between server URLs (HttpApi, GatewayConnection, VollyClientOptions.serverUrls)", () => {
  let server: RunningServer;
  let dead: string;
  beforeAll(async () => {
    server = await startServer({
      ...DEFAULT_CONFIG,
      port: 0,
      dataDir: scratchDir("volly-fo-"),
      logLevel: "silent",
    });
    dead = `http://127.0.0.1:${await freePort()}`;
  });
  afterAll(() => server?.close());

  it("HttpApi moves past a URL that refuses connections and stays on the one that answers", async () => {
    const api = new HttpApi([dead, server.url]);
    expect(api.baseUrl).toBe(dead);
    expect(await api.call("health")).toMatchObject({ status: "ok" });
    expect(api.baseUrl).toBe(server.url);
    // A POST whose connection was refused never reached a server: retried at once on the next URL.
    const back = new HttpApi([dead, server.url]);
    await expect(back.call("challenge", { body: { deviceId: "x".repeat(22) } })).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_DEVICE", // the live server's answer, not "unreachable"
    });
  });

  it("HttpApi reports VOLLY_E_SERVER_UNREACHABLE after trying every URL once, and HTTP errors never fail over", async () => {
    const other = `http://127.0.0.1:${await freePort()}`;
    const api = new HttpApi([dead, other]);
    const error = await api.call("health").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VollyError);
    expect((error as VollyError).code).toBe("VOLLY_E_SERVER_UNREACHABLE");
    const live = new HttpApi([server.url, dead]);
    await expect(live.call("getAccount", { params: { handle: "nobody" } })).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_HANDLE",
    });
    expect(live.baseUrl).toBe(server.url);
    expect(() => new HttpApi([])).toThrow(VollyError);
  });

  it("a client whose first URL is dead connects through the next one (REST and gateway)", async () => {
    const gateway = (base: string) => `${base.replace("http", "ws")}/v1/gateway`;
    const home = scratchDir("volly-fo-profile-");
    // The profile (registered through the live server) keeps one URL; this run prefers the dead one.
    const client = await initNodeProfile(
      join(home, "fay"),
      { serverUrl: server.url, handle: "fay", pin: "123456", kdf: TEST_KDF },
      { serverUrls: [dead, server.url], initialBackoffMs: 20, maxBackoffMs: 100 },
    );
    expect(client.profile.serverUrl).toBe(server.url);
    try {
      await client.connect(10_000);
      expect(client.connection.url).toBe(gateway(server.url));
      expect(client.connection.state).toBe("connected");
      expect(await client.lookup("fay")).toMatchObject({ handle: "fay" });
    } finally {
      await client.close();
    }
    const connection = createGatewayConnection({
      url: [gateway(dead), gateway(server.url)],
      deviceId: "x".repeat(22),
      sign: () => new Uint8Array(64),
      createSocket: nodeSocketFactory,
      onDispatch: async () => {},
      initialBackoffMs: 10,
      maxBackoffMs: 50,
    });
    const seen = new Set<string>();
    connection.stateChanges.add(() => seen.add(connection.url));
    connection.start();
    await waitFor(() => seen.size === 2, { message: "both URLs to be tried", timeoutMs: 5_000 });
    await connection.stop();
  });
});
