import { connect, createServer, type Socket } from "node:net";
import { HttpApi } from "@volly/client/testing";
import { VollyError } from "@volly/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { useTestServer } from "./helpers.js";

interface Proxy {
  url: string;
  /** Connections accepted so far. */
  seen(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of the real test server that resets the first `resets`
 * connections as soon as a request arrives on them (as a busy machine or a keep-alive connection
 * closed under a request does), and passes the others through.
 */
async function resettingProxy(target: URL, resets: number): Promise<Proxy> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client: Socket) => {
    connections++;
    sockets.add(client);
    if (connections <= resets) {
      client.once("data", () => client.resetAndDestroy());
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no proxy address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen: () => connections,
    // the client keeps idle connections open (the server's keep-alive hint): cut them
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("HttpApi with one server URL: a GET whose connection fails is sent once more (RFC 9110 §9.2.2)", () => {
  const bed = useTestServer();
  const proxies: Proxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.close();
  });

  it("a look-up whose connection is reset once is answered", async () => {
    const proxy = await resettingProxy(new URL(bed.server.url), 1);
    proxies.push(proxy);
    const api = new HttpApi(proxy.url);
    const answer = await api.call("handleAvailability", { params: { handle: "nobody-here" } });
    expect(answer).toEqual({ handle: "nobody-here", available: true });
    expect(proxy.seen()).toBe(2);
  });

  it("a look-up reset twice fails with VOLLY_E_SERVER_UNREACHABLE; a POST is never sent twice", async () => {
    const proxy = await resettingProxy(new URL(bed.server.url), 3);
    proxies.push(proxy);
    const api = new HttpApi(proxy.url);
    const lookup = await api
      .call("handleAvailability", { params: { handle: "nobody-here" } })
      .catch((e: unknown) => e);
    expect(lookup).toBeInstanceOf(VollyError);
    expect((lookup as VollyError).code).toBe("VOLLY_E_SERVER_UNREACHABLE");
    expect(proxy.seen()).toBe(2);
    const post = await api.call("challenge", { body: { deviceId: "0".repeat(26) } }).catch((e: unknown) => e);
    expect((post as VollyError).code).toBe("VOLLY_E_SERVER_UNREACHABLE");
    expect(proxy.seen()).toBe(3);
  });
});

describe("HttpApi against a server that accepts and never answers (packets of a cut link)", () => {
  it("gives up after its request timeout with VOLLY_E_SERVER_UNREACHABLE", async () => {
    const held = new Set<Socket>();
    const server = createServer((socket) => {
      held.add(socket); // read nothing, answer nothing
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no address");
    try {
      const api = new HttpApi(`http://127.0.0.1:${address.port}`, undefined, 300);
      const failed = await api
        .call("challenge", { body: { deviceId: "0".repeat(26) } })
        .catch((e: unknown) => e);
      expect((failed as VollyError).code).toBe("VOLLY_E_SERVER_UNREACHABLE");
    } finally {
      for (const s of held) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    // Without its own timeout the call would wait for undici's 300 s header timeout: past this test's.
  }, 60_000);
});
