import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Type } from "@sinclair/typebox";
import {
  FEDERATION_PREFIX,
  FEDERATION_WELL_KNOWN_PATH,
  fromBase64Url,
  type ServerDocument,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import Fastify, { type FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { type InnerList, parseDictionary } from "structured-headers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFederationConfig, serverNameOf } from "../src/config-federation.js";
import { createFederationClient } from "../src/federation/federation-client.js";
import { createFederationMetrics, MAX_LABELED_SERVERS } from "../src/federation/federation-metrics.js";
import { createFederationPolicy, createServerRateLimiter } from "../src/federation/federation-policy.js";
import { createServerDirectory, isLoopbackServerName } from "../src/federation/server-directory.js";
import { createNonceCache } from "../src/federation/signing/nonce-cache.js";
import { contentDigest, signatureBase, signRequest } from "../src/federation/signing/request-signing.js";
import { createRequestVerifier } from "../src/federation/signing/request-verification.js";
import {
  generateServerSigningKey,
  loadOrCreateServerKey,
  type ServerSigningKey,
  serverKeyFromJson,
  serverKeyToJson,
} from "../src/federation/signing/server-key.js";
import { installErrorHandler } from "../src/http/error-handler.js";
import { expectCode } from "./helpers/expect-code.js";

const NOW = 1_700_000_000_000;
const ORIGIN = "a.example";
const URL_B = "https://b.example/federation/v1/groups/g1/messages?after=3";

describe("RFC 9421 signature base (http-message-signatures + structured-headers)", () => {
  // RFC 9421 Appendix B.2.6 "Signing a Request Using ed25519", with the key of Appendix B.1.4.
  const request = {
    method: "POST",
    url: "https://example.com/foo?param=Value&Pet=dog",
    headers: {
      host: "example.com",
      date: "Tue, 20 Apr 2021 02:07:55 GMT",
      "content-type": "application/json",
      "content-length": "18",
    },
  };
  const input = parseDictionary(
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  ).get("sig-b26") as InnerList;
  const base = [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@method": POST',
    '"@path": /foo',
    '"@authority": example.com',
    '"content-type": application/json',
    '"content-length": 18',
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  ].join("\n");
  // B.1.4: the PKCS#8 private key's last 32 bytes are the seed; the SPKI public key's, the key.
  const seed = Buffer.from(
    "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF",
    "base64",
  ).subarray(16);
  const publicKey = fromBase64Url("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs");
  const expected = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==";

  it("builds the B.2.6 signature base, and our Ed25519 gives the RFC's signature over it", async () => {
    expect(signatureBase(request, input)).toBe(base);
    const { sign, verify } = await import("@volly/crypto");
    const signature = sign(new Uint8Array(seed), new TextEncoder().encode(base));
    expect(Buffer.from(signature).toString("base64")).toBe(expected);
    expect(verify(publicKey, new TextEncoder().encode(base), signature)).toBe(true);
  });

  it('computes Content-Digest as RFC 9530 §B.2 does (sha-256 of {"hello": "world"})', () => {
    expect(contentDigest(new TextEncoder().encode('{"hello": "world"}'))).toBe(
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
    );
  });
});

describe("request signing and verification", () => {
  const key = generateServerSigningKey();
  const other = generateServerSigningKey();
  const body = new TextEncoder().encode(JSON.stringify({ deviceId: "d", message: "hello" }));

  function setup(now = NOW) {
    const nonces = createNonceCache({ now: () => now });
    const verifier = createRequestVerifier({
      resolveKey: async (server, keyId) =>
        server === ORIGIN && keyId === key.keyId ? key.publicKey : undefined,
      nonces,
      now: () => now,
    });
    return verifier;
  }

  async function signed(
    options: {
      method?: string;
      url?: string;
      body?: Uint8Array;
      signer?: ServerSigningKey;
      at?: number;
    } = {},
  ) {
    const headers = { "content-type": "application/json" };
    const method = options.method ?? "POST";
    const url = options.url ?? URL_B;
    const added = await signRequest(
      { method, url, headers, ...(options.body ? { body: options.body } : {}) },
      { serverName: ORIGIN, key: options.signer ?? key },
      options.at ?? NOW,
    );
    return { method, url, headers: { ...headers, ...added } as Record<string, string>, body: options.body };
  }

  it("signs the documented components and parameters", async () => {
    const { headers } = await signed({ body });
    expect(headers["volly-origin"]).toBe(ORIGIN);
    expect(headers["content-digest"]).toMatch(/^sha-256=:[A-Za-z0-9+/]{43}=:$/);
    const created = Math.floor(NOW / 1000);
    expect(headers["signature-input"]).toMatch(
      new RegExp(
        `^volly=\\("@method" "@target-uri" "content-digest" "volly-origin"\\);created=${created};expires=${created + 60};nonce="[A-Za-z0-9_-]{22}";keyid="a\\.example#${key.keyId}";alg="ed25519";tag="volly-federation"$`,
      ),
    );
    expect(headers.signature).toMatch(/^volly=:[A-Za-z0-9+/]{86}==:$/);
    const get = (await signed({ method: "GET" })).headers;
    expect(get["content-digest"]).toBeUndefined();
    expect(get["signature-input"]).toMatch(/^volly=\("@method" "@target-uri" "volly-origin"\);/);
  });

  it("verifies a signed request with and without a body", async () => {
    const verifier = setup();
    await expect(verifier.verify(await signed({ body }))).resolves.toEqual({ serverName: ORIGIN });
    await expect(verifier.verify(await signed({ method: "GET" }))).resolves.toEqual({ serverName: ORIGIN });
  });

  it("refuses a tampered body (Content-Digest), method or target URI", async () => {
    const verifier = setup();
    const request = await signed({ body });
    const tampered = new Uint8Array(body);
    tampered[0] = tampered[0]! ^ 1;
    const e1 = await expectCode(
      verifier.verify({ ...request, body: tampered }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(e1.details?.reason).toBe("content-digest");
    // A digest recomputed for the new body no longer matches the signature.
    const e2 = await expectCode(
      verifier.verify({
        ...request,
        body: tampered,
        headers: { ...request.headers, "content-digest": contentDigest(tampered) },
      }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(e2.details?.reason).toBe("bad-signature");
    const e3 = await expectCode(
      verifier.verify({ ...request, method: "PUT" }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(e3.details?.reason).toBe("bad-signature");
    const e4 = await expectCode(
      verifier.verify({ ...request, url: URL_B.replace("g1", "g2") }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(e4.details?.reason).toBe("bad-signature");
    const e5 = await expectCode(
      verifier.verify({ ...request, url: URL_B.replace("after=3", "after=0") }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(e5.details?.reason).toBe("bad-signature");
    // The untouched request still passes: the refused ones did not burn its nonce.
    await expect(verifier.verify(request)).resolves.toEqual({ serverName: ORIGIN });
  });

  it("refuses an unknown key and a key that is not the one the keyid names", async () => {
    const verifier = setup();
    const unknown = await expectCode(
      verifier.verify(await signed({ body, signer: other })),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(unknown.details?.reason).toBe("unknown-key");
    const forged = await expectCode(
      verifier.verify(await signed({ body, signer: { ...other, keyId: key.keyId } })),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(forged.details?.reason).toBe("bad-signature");
  });

  it("refuses a volly-origin that is not the keyid's server", async () => {
    const verifier = setup();
    const request = await signed({ body });
    const error = await expectCode(
      verifier.verify({ ...request, headers: { ...request.headers, "volly-origin": "c.example" } }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(error.details?.reason).toBe("origin");
    const missing = { ...request.headers };
    delete missing["volly-origin"];
    await expectCode(
      verifier.verify({ ...request, headers: missing }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
  });

  it("refuses an expired signature and one created too far in the future", async () => {
    const request = await signed({ body });
    await expectCode(setup(NOW + 61_000).verify(request), "VOLLY_E_FEDERATION_STALE");
    await expect(setup(NOW + 59_000).verify(request)).resolves.toEqual({ serverName: ORIGIN });
    await expectCode(
      setup(NOW).verify(await signed({ body, at: NOW + 301_000 })),
      "VOLLY_E_FEDERATION_STALE",
    );
    await expect(setup(NOW).verify(await signed({ body, at: NOW + 299_000 }))).resolves.toEqual({
      serverName: ORIGIN,
    });
  });

  it("refuses a replayed nonce", async () => {
    const verifier = setup();
    const request = await signed({ body });
    await verifier.verify(request);
    await expectCode(verifier.verify(request), "VOLLY_E_FEDERATION_REPLAYED");
    // Another request of the same server has its own nonce.
    await expect(verifier.verify(await signed({ body }))).resolves.toEqual({ serverName: ORIGIN });
  });

  it("refuses a body the signature does not cover with a Content-Digest", async () => {
    const verifier = setup();
    const withoutBody = await signed({ method: "POST" });
    const error = await expectCode(
      verifier.verify({ ...withoutBody, body }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(error.details?.reason).toBe("components");
    const request = await signed({ body });
    const stripped = { ...request.headers };
    delete stripped["content-digest"];
    const e2 = await expectCode(
      verifier.verify({ ...request, headers: stripped }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(e2.details?.reason).toBe("content-digest");
  });

  it("refuses missing or malformed signature fields and another signature's label", async () => {
    const verifier = setup();
    const request = await signed({ body });
    const reason = async (headers: Record<string, string>) =>
      (await expectCode(verifier.verify({ ...request, headers }), "VOLLY_E_FEDERATION_SIGNATURE_INVALID"))
        .details?.reason;
    const { signature: _s, ...noSignature } = request.headers;
    expect(await reason(noSignature)).toBe("missing");
    expect(await reason({ ...request.headers, signature: "volly=:AAAA:" })).toBe("malformed");
    expect(await reason({ ...request.headers, "signature-input": "volly=(" })).toBe("malformed");
    expect(
      await reason({
        ...request.headers,
        "signature-input": request.headers["signature-input"]!.replace("volly=", "other="),
      }),
    ).toBe("missing");
    expect(
      await reason({
        ...request.headers,
        "signature-input": request.headers["signature-input"]!.replace('alg="ed25519"', 'alg="hmac-sha256"'),
      }),
    ).toBe("alg");
  });
});

describe("nonce cache", () => {
  it("remembers a nonce until it expires, per server", () => {
    let now = 1000;
    const cache = createNonceCache({ now: () => now });
    expect(cache.seen("a.example", "n1", 5000)).toBe(false);
    expect(cache.seen("a.example", "n1", 5000)).toBe(true);
    expect(cache.seen("b.example", "n1", 5000)).toBe(false);
    now = 5000;
    expect(cache.seen("a.example", "n1", 9000)).toBe(false);
  });

  it("when full, evicts the entries that expire soonest", () => {
    const cache = createNonceCache({ maxEntries: 3, now: () => 0 });
    cache.seen("s", "late", 300);
    cache.seen("s", "soon", 100);
    cache.seen("s", "mid", 200);
    cache.seen("s", "new", 400);
    expect(cache.seen("s", "late", 300)).toBe(true);
    expect(cache.seen("s", "new", 400)).toBe(true);
    expect(cache.seen("s", "soon", 100)).toBe(false); // evicted: recorded again (evicting "mid")
    expect(cache.seen("s", "mid", 200)).toBe(false);
  });
});

describe("server signing key", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "volly-server-key-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips through JSON and derives its key id from the public key", () => {
    const key = generateServerSigningKey();
    expect(key.keyId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(serverKeyFromJson(serverKeyToJson(key))).toEqual(key);
  });

  it("refuses a key file that is not JSON, does not match its schema, or whose fields do not belong together", () => {
    const a = generateServerSigningKey();
    const b = generateServerSigningKey();
    const json = JSON.parse(serverKeyToJson(a)) as Record<string, unknown>;
    for (const text of [
      "not json",
      "{}",
      JSON.stringify({ ...json, privateKey: "short" }),
      JSON.stringify({ ...json, extra: 1 }),
      JSON.stringify({ ...json, privateKey: toBase64Url(b.privateKey) }),
      JSON.stringify({ ...json, keyId: b.keyId }),
    ]) {
      expect(() => serverKeyFromJson(text), text).toThrow(VollyError);
      try {
        serverKeyFromJson(text);
      } catch (error) {
        expect((error as VollyError).code).toBe("VOLLY_E_BAD_REQUEST");
        expect((error as VollyError).message).not.toContain(toBase64Url(b.privateKey));
      }
    }
  });

  it("creates the key file (mode 0600, directory created) once, then reads it back", async () => {
    const path = join(dir, "nested", "server-key.json");
    const [first, second] = await Promise.all([loadOrCreateServerKey(path), loadOrCreateServerKey(path)]);
    expect(second).toEqual(first);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateServerKey(path)).toEqual(first);
    expect(serverKeyFromJson(await readFile(path, "utf8"))).toEqual(first);
    await writeFile(path, "garbage");
    await expectCode(loadOrCreateServerKey(path), "VOLLY_E_BAD_REQUEST");
  });
});

describe("federation policy and per-server rate limit", () => {
  it("block always wins; a non-empty allow list admits only its servers", () => {
    const open = createFederationPolicy({ block: ["bad.example"] });
    expect(open.allows("any.example")).toBe(true);
    expect(open.allows("bad.example")).toBe(false);
    const closed = createFederationPolicy({ allow: ["a.example", "bad.example"], block: ["bad.example"] });
    expect(closed.allows("a.example")).toBe(true);
    expect(closed.allows("b.example")).toBe(false);
    expect(closed.allows("bad.example")).toBe(false);
  });

  it("gives each server a bucket of perMinute requests that refills over a minute", () => {
    let now = 0;
    const limiter = createServerRateLimiter({ perMinute: 2, now: () => now });
    expect(limiter.take("a.example").allowed).toBe(true);
    expect(limiter.take("a.example").allowed).toBe(true);
    expect(limiter.take("a.example")).toEqual({ allowed: false, retryAfterMs: 30_000 });
    expect(limiter.take("b.example").allowed).toBe(true);
    now = 30_000;
    expect(limiter.take("a.example").allowed).toBe(true);
    expect(limiter.take("a.example").allowed).toBe(false);
  });
});

describe("federation configuration", () => {
  it("reads the public URL, lists, key file and rate, with defaults", () => {
    expect(parseFederationConfig({})).toEqual({
      allow: [],
      block: [],
      requestsPerMinute: 6000,
      pollIntervalMs: 2000,
    });
    expect(
      parseFederationConfig({
        VOLLY_PUBLIC_URL: "https://Chat.Example:8443/",
        VOLLY_FEDERATION_ALLOW: " a.example, b.example:8443 ,",
        VOLLY_FEDERATION_BLOCK: "c.example",
        VOLLY_FEDERATION_KEY_FILE: "/var/lib/volly/server-key.json",
        VOLLY_FEDERATION_REQUESTS_PER_MINUTE: "120",
        VOLLY_FEDERATION_POLL_MS: "500",
      }),
    ).toEqual({
      publicUrl: "https://chat.example:8443",
      serverName: "chat.example:8443",
      allow: ["a.example", "b.example:8443"],
      block: ["c.example"],
      keyFile: "/var/lib/volly/server-key.json",
      requestsPerMinute: 120,
      pollIntervalMs: 500,
    });
    expect(serverNameOf("https://a.example:443")).toBe("a.example");
    expect(serverNameOf("http://127.0.0.1:7777")).toBe("127.0.0.1:7777");
  });

  it.each([
    [{ VOLLY_PUBLIC_URL: "https://a.example/path" }, "VOLLY_PUBLIC_URL"],
    [{ VOLLY_PUBLIC_URL: "ftp://a.example" }, "VOLLY_PUBLIC_URL"],
    [{ VOLLY_PUBLIC_URL: "https://a.example?x=1" }, "VOLLY_PUBLIC_URL"],
    [{ VOLLY_PUBLIC_URL: "https://user@a.example" }, "VOLLY_PUBLIC_URL"],
    [{ VOLLY_PUBLIC_URL: "https://[::1]:80" }, "VOLLY_PUBLIC_URL"],
    [{ VOLLY_FEDERATION_ALLOW: "a.example,not a name" }, "VOLLY_FEDERATION_ALLOW"],
    [{ VOLLY_FEDERATION_BLOCK: "https://b.example" }, "VOLLY_FEDERATION_BLOCK"],
    [{ VOLLY_FEDERATION_REQUESTS_PER_MINUTE: "0" }, "VOLLY_FEDERATION_REQUESTS_PER_MINUTE"],
    [{ VOLLY_FEDERATION_REQUESTS_PER_MINUTE: "10/s" }, "VOLLY_FEDERATION_REQUESTS_PER_MINUTE"],
  ])("refuses %j naming %s", (env, variable) => {
    let error: unknown;
    try {
      parseFederationConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VollyError);
    expect((error as VollyError).code).toBe("VOLLY_E_USAGE");
    expect((error as VollyError).message).toContain(variable);
  });
});

describe("federation metrics", () => {
  it("labels at most MAX_LABELED_SERVERS servers, then 'other'", async () => {
    const registry = new Registry();
    const metrics = createFederationMetrics(registry);
    for (let i = 0; i < MAX_LABELED_SERVERS + 5; i++) metrics.incoming(`s${i}.example`, "ok");
    metrics.outgoing("s0.example", "failed", 0.2);
    metrics.lag("s1.example", 3);
    const text = await registry.metrics();
    expect(text).toContain(
      'volly_federation_requests_total{server="other",direction="incoming",outcome="ok"} 5',
    );
    expect(text).toContain(
      'volly_federation_requests_total{server="s0.example",direction="outgoing",outcome="failed"} 1',
    );
    expect(text).toContain('volly_federation_request_seconds_count{server="s0.example"} 1');
    expect(text).toContain('volly_federation_lag_seconds{server="s1.example"} 3');
    expect(text).not.toContain(`s${MAX_LABELED_SERVERS}.example`);
  });
});

/**
 * Two real servers on loopback: A (the caller) publishes its document; B publishes its own and serves
 * signed federation routes, verifying each request against A's published key.
 */
describe("federation over real loopback HTTP", () => {
  const keyA = generateServerSigningKey();
  const keyB = generateServerSigningKey();
  let appA: FastifyInstance;
  let appB: FastifyInstance;
  let nameA = "";
  let nameB = "";
  let docA: ServerDocument;
  let documentHitsA = 0;
  let verifiedHitsB = 0;

  function documentOf(name: string, key: ServerSigningKey): ServerDocument {
    return {
      v: 1,
      name,
      federationUrl: `http://${name}`,
      keys: [{ keyId: key.keyId, publicKey: toBase64Url(key.publicKey) }],
    };
  }

  beforeAll(async () => {
    appA = Fastify();
    appA.get(FEDERATION_WELL_KNOWN_PATH, async () => {
      documentHitsA++;
      return docA;
    });
    await appA.listen({ host: "127.0.0.1", port: 0 });
    nameA = `127.0.0.1:${(appA.server.address() as { port: number }).port}`;
    docA = documentOf(nameA, keyA);

    appB = Fastify();
    installErrorHandler(appB);
    appB.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) =>
      done(null, body),
    );
    const directoryB = createServerDirectory();
    const verifier = createRequestVerifier({
      resolveKey: (server, keyId) => directoryB.key(server, keyId),
      nonces: createNonceCache(),
    });
    const origins = new WeakMap<object, string>();
    appB.get(FEDERATION_WELL_KNOWN_PATH, async () => documentOf(nameB, keyB));
    appB.addHook("preHandler", async (request) => {
      if (!request.url.startsWith(`${FEDERATION_PREFIX}/`)) return;
      const body = request.body instanceof Buffer ? new Uint8Array(request.body) : undefined;
      const { serverName } = await verifier.verify({
        method: request.method,
        url: `http://${nameB}${request.url}`,
        headers: request.headers,
        ...(body ? { body } : {}),
      });
      verifiedHitsB++;
      origins.set(request, serverName);
    });
    appB.post(`${FEDERATION_PREFIX}/echo`, async (request) => ({
      from: origins.get(request),
      ...(JSON.parse((request.body as Buffer).toString("utf8")) as object),
    }));
    appB.get(`${FEDERATION_PREFIX}/query`, async (request) => ({
      from: origins.get(request),
      after: Number((request.query as { after: string }).after),
    }));
    appB.get(`${FEDERATION_PREFIX}/garbage`, async (_request, reply) =>
      reply.type("application/json").send("{not json"),
    );
    appB.get(`${FEDERATION_PREFIX}/wrong-shape`, async () => ({ from: 42 }));
    appB.get(`${FEDERATION_PREFIX}/taken`, async () => {
      throw new VollyError("VOLLY_E_HANDLE_TAKEN", "That handle is taken on B.", { handle: "alice" });
    });
    await appB.listen({ host: "127.0.0.1", port: 0 });
    nameB = `127.0.0.1:${(appB.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await Promise.all([appA?.close(), appB?.close()]);
  });

  function clientOf(
    options: { key?: ServerSigningKey; block?: string[]; fetch?: typeof fetch; registry?: Registry } = {},
  ) {
    return createFederationClient({
      serverName: nameA,
      key: options.key ?? keyA,
      directory: createServerDirectory(options.fetch ? { fetch: options.fetch } : {}),
      policy: createFederationPolicy({ block: options.block ?? [] }),
      ...(options.registry ? { metrics: createFederationMetrics(options.registry) } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  const Echo = Type.Object({ from: Type.String(), hello: Type.String() }, { additionalProperties: false });

  it("a signed POST and a signed GET with a query are verified by the receiving server", async () => {
    const registry = new Registry();
    const client = clientOf({ registry });
    await expect(
      client.request(nameB, "POST", `${FEDERATION_PREFIX}/echo`, {
        body: { hello: "world" },
        response: Echo,
      }),
    ).resolves.toEqual({ from: nameA, hello: "world" });
    await expect(
      client.request(nameB, "GET", `${FEDERATION_PREFIX}/query`, {
        query: { after: 7 },
        response: Type.Object({ from: Type.String(), after: Type.Integer() }),
      }),
    ).resolves.toEqual({ from: nameA, after: 7 });
    expect(await registry.metrics()).toContain(
      `volly_federation_requests_total{server="${nameB}",direction="outgoing",outcome="ok"} 2`,
    );
  });

  it("refuses a blocked server before sending anything", async () => {
    let fetches = 0;
    const counting: typeof fetch = (input, init) => {
      fetches++;
      return fetch(input, init);
    };
    const before = verifiedHitsB;
    const error = await expectCode(
      clientOf({ block: [nameB], fetch: counting }).request(nameB, "GET", `${FEDERATION_PREFIX}/query`, {
        query: { after: 1 },
        response: Type.Unknown(),
      }),
      "VOLLY_E_FEDERATION_BLOCKED",
    );
    expect(error.details?.server).toBe(nameB);
    expect(fetches).toBe(0);
    expect(verifiedHitsB).toBe(before);
  });

  it("an answer that is not JSON, or not of the schema, is VOLLY_E_FEDERATION_UNREACHABLE", async () => {
    const client = clientOf();
    const garbage = await expectCode(
      client.request(nameB, "GET", `${FEDERATION_PREFIX}/garbage`, { response: Echo }),
      "VOLLY_E_FEDERATION_UNREACHABLE",
    );
    expect(garbage.details).toMatchObject({ server: nameB, reason: "invalid-response" });
    await expectCode(
      client.request(nameB, "GET", `${FEDERATION_PREFIX}/wrong-shape`, { response: Echo }),
      "VOLLY_E_FEDERATION_UNREACHABLE",
    );
  });

  it("a Volly ErrorResponse is rethrown with its code, message and details", async () => {
    const error = await expectCode(
      clientOf().request(nameB, "GET", `${FEDERATION_PREFIX}/taken`, { response: Echo }),
      "VOLLY_E_HANDLE_TAKEN",
    );
    expect(error.message).toBe("That handle is taken on B.");
    expect(error.details).toEqual({ handle: "alice" });
  });

  it("the receiving server refuses a key A does not publish, and a replayed request", async () => {
    const rogue = generateServerSigningKey();
    const refused = await expectCode(
      clientOf({ key: rogue }).request(nameB, "POST", `${FEDERATION_PREFIX}/echo`, {
        body: { hello: "x" },
        response: Echo,
      }),
      "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
    );
    expect(refused.details?.reason).toBe("unknown-key");

    let sent: { url: string; init: RequestInit } | undefined;
    const recording: typeof fetch = (input, init) => {
      if (String(input).includes(FEDERATION_PREFIX)) sent = { url: String(input), init: init ?? {} };
      return fetch(input, init);
    };
    await clientOf({ fetch: recording }).request(nameB, "POST", `${FEDERATION_PREFIX}/echo`, {
      body: { hello: "once" },
      response: Echo,
    });
    const { signal: _signal, ...replay } = sent!.init;
    const response = await fetch(sent!.url, replay);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("VOLLY_E_FEDERATION_REPLAYED");
  });

  it("a server that is not listening is VOLLY_E_FEDERATION_UNREACHABLE", async () => {
    const closed = Fastify();
    await closed.listen({ host: "127.0.0.1", port: 0 });
    const name = `127.0.0.1:${(closed.server.address() as { port: number }).port}`;
    await closed.close();
    const error = await expectCode(
      clientOf().request(name, "GET", `${FEDERATION_PREFIX}/query`, { response: Echo }),
      "VOLLY_E_FEDERATION_UNREACHABLE",
    );
    expect(error.details?.server).toBe(name);
  });

  describe("server directory", () => {
    it("coalesces concurrent fetches and caches the document", async () => {
      const directory = createServerDirectory();
      const before = documentHitsA;
      const documents = await Promise.all([1, 2, 3, 4, 5].map(() => directory.document(nameA)));
      expect(documents.every((d) => d.name === nameA)).toBe(true);
      await directory.document(nameA);
      expect(documentHitsA - before).toBe(1);
    });

    it("refetches for an unknown key id at most once a minute (key rotation)", async () => {
      let now = NOW;
      const directory = createServerDirectory({ now: () => now });
      const before = documentHitsA;
      expect(await directory.key(nameA, keyA.keyId)).toEqual(keyA.publicKey);
      const rotated = generateServerSigningKey();
      docA = {
        ...documentOf(nameA, keyA),
        keys: [
          ...documentOf(nameA, keyA).keys,
          { keyId: rotated.keyId, publicKey: toBase64Url(rotated.publicKey) },
        ],
      };
      try {
        expect(await directory.key(nameA, rotated.keyId)).toBeUndefined(); // fetched < 1 min ago
        expect(documentHitsA - before).toBe(1);
        now += 61_000;
        expect(await directory.key(nameA, rotated.keyId)).toEqual(rotated.publicKey);
        expect(documentHitsA - before).toBe(2);
        expect(await directory.key(nameA, "unknownKeyId")).toBeUndefined();
        expect(documentHitsA - before).toBe(2);
      } finally {
        docA = documentOf(nameA, keyA);
      }
    });

    it("refuses a document that names another server or does not match the schema", async () => {
      const directory = createServerDirectory();
      docA = documentOf("other.example", keyA);
      try {
        const error = await expectCode(directory.document(nameA), "VOLLY_E_FEDERATION_UNREACHABLE");
        expect(error.details).toMatchObject({ server: nameA, reason: "name" });
        directory.forget(nameA);
        docA = { ...documentOf(nameA, keyA), keys: [] };
        const invalid = await expectCode(directory.document(nameA), "VOLLY_E_FEDERATION_UNREACHABLE");
        expect(invalid.details).toMatchObject({ reason: "invalid" });
      } finally {
        docA = documentOf(nameA, keyA);
      }
      directory.forget(nameA);
      await expect(directory.document(nameA)).resolves.toMatchObject({ name: nameA });
    });

    it("uses http only for loopback names by default", () => {
      expect(isLoopbackServerName("127.0.0.1:8080")).toBe(true);
      expect(isLoopbackServerName("127.200.3.4")).toBe(true);
      expect(isLoopbackServerName("localhost:7777")).toBe(true);
      expect(isLoopbackServerName("127.0.0.256")).toBe(false);
      expect(isLoopbackServerName("128.0.0.1")).toBe(false);
      expect(isLoopbackServerName("127.0.0.1.example")).toBe(false);
    });
  });
});
