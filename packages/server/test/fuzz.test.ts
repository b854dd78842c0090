/**
 * Fuzzing every REST route (protocol's ROUTES) and every gateway op against a real server: the
 * in-process app over a real SQLite store, listening on loopback (REST through `inject`, the gateway
 * over real WebSockets). Inputs are schema-shaped (from each route's and frame's TypeBox schema,
 * with ids that exist mixed in) and garbage (any JSON, nesting up to 100,000 deep, strings up to
 * 2 MB, wrong types, invalid UTF-8, bad percent-encoding, unicode, long path parameters). Meanwhile
 * a legitimate member keeps sending to a group over the gateway and REST.
 *
 * Asserted: no 5xx and no internal error logged; every error is `{code, message}` with a registered
 * code and that code's status (REST) or an ERROR frame with a registered code (gateway); every
 * success matches its response schema; every answer carries the security headers; connections the
 * server closes get a registered close code, and an authenticated connection survives everything
 * under the hard frame cap; the process keeps serving; the legitimate member's messages are all
 * stored and delivered.
 *
 * Bounded for CI (about 1,500 requests and 900 frames). VOLLY_FUZZ_RUNS multiplies the runs,
 * VOLLY_FUZZ_SEED replays a failure (fast-check prints the seed).
 */
import {
  ClientFrame,
  ERROR_CODES,
  type ErrorCode,
  GatewayOp,
  isErrorCode,
  LIMITS,
  matches,
  newId,
  ROUTES,
  type RouteSpec,
  type TSchema,
} from "@volly/protocol";
import fc from "fast-check";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../../../test/helpers/wait-for.js";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";
import {
  deeplyNested,
  garbageBody,
  garbageSegment,
  shaped,
  withDeepNesting,
  withWrongType,
} from "./helpers/fuzz-arbitraries.js";
import {
  connectGateway,
  connectIdentified,
  type Frame,
  type GatewayClient,
} from "./helpers/gateway-client.js";
import { expectStillServing } from "./helpers/live-server.js";
import { createGroupBody, newGroupBodies } from "./helpers/mls-groups.js";
import { fakeCiphertext } from "./helpers/services.js";

const RUNS = Math.max(1, Number(process.env.VOLLY_FUZZ_RUNS ?? 1));
const SEED = process.env.VOLLY_FUZZ_SEED === undefined ? undefined : Number(process.env.VOLLY_FUZZ_SEED);
const options = (numRuns: number) => ({
  numRuns: numRuns * RUNS,
  ...(SEED === undefined ? {} : { seed: SEED }),
});

const CLOSE_CODES: ReadonlySet<number> = new Set(Object.values(ERROR_CODES).map((e) => e.close));
const ID_PATTERN = (ROUTES.getGroup.params as unknown as { properties: { groupId: { pattern: string } } })
  .properties.groupId.pattern;

/** What one fuzzed REST request was, for failure messages (bodies cut short). */
function describeRequest(method: string, url: string, body: unknown): string {
  const text = typeof body === "string" ? body : Buffer.isBuffer(body) ? `<${body.length} bytes>` : "";
  return `${method} ${url.slice(0, 200)} ${text.slice(0, 200)}`;
}

/** The invariants of every REST answer. */
function expectTypedAnswer(res: LightMyRequestResponse, route: RouteSpec | undefined, what: string) {
  expect(res.statusCode, what).toBeLessThan(500);
  expect(res.headers["x-content-type-options"], what).toBe("nosniff");
  expect(res.headers["referrer-policy"], what).toBe("no-referrer");
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(isErrorCode(body.code), `${what} → ${res.body.slice(0, 300)}`).toBe(true);
    expect(ERROR_CODES[body.code as ErrorCode].http, what).toBe(res.statusCode);
    expect(typeof body.message, what).toBe("string");
    for (const key of Object.keys(body)) expect(["code", "message", "details"], what).toContain(key);
    expect(res.body, what).not.toContain("FST_ERR");
  } else if (route) {
    expect(matches(route.response, JSON.parse(res.body)), `${what} → ${res.body.slice(0, 300)}`).toBe(true);
  }
}

describe("fuzz: every REST route and every gateway op against a real server", () => {
  let f: AppFixture;
  let gatewayUrl: string;
  let alice: HttpDevice;
  let bob: HttpDevice;
  let mallory: HttpDevice;
  let legitGroup: string;
  let malloryGroup: string;
  let aliceGateway: GatewayClient;
  let bobGateway: GatewayClient;
  /** Ids that exist, by schema pattern, so shaped inputs reach the services. */
  const known = new Map<string, string[]>();
  const legit = { sent: [] as string[], failures: [] as string[], stop: false, done: Promise.resolve() };

  beforeAll(async () => {
    // Limits far above what the fuzz sends, so requests reach the routes (the limiter still runs).
    f = await appFixture({
      rateLimit: { windowMs: 60_000, accountMax: 1e9, ipMax: 1e9, accountBytesMax: 1e15 },
    });
    const base = await f.app.listen({ port: 0, host: "127.0.0.1" });
    gatewayUrl = `${base.replace("http", "ws")}/v1/gateway`;
    alice = await registerOverHttp(f.app);
    bob = await registerOverHttp(f.app);
    mallory = await registerOverHttp(f.app);
    legitGroup = newId();
    malloryGroup = newId();
    for (const [owner, groupId, members] of [
      [alice, legitGroup, [bob]],
      [mallory, malloryGroup, []],
    ] as const) {
      const bodies = members.length > 0 ? await newGroupBodies(groupId, owner, members) : undefined;
      const created = await f.app.inject({
        method: "POST",
        url: "/v1/groups",
        headers: owner.auth,
        payload: bodies?.create ?? (await createGroupBody(groupId, owner)),
      });
      expect(created.statusCode).toBe(200);
      if (bodies) {
        const commit = await f.app.inject({
          method: "POST",
          url: `/v1/groups/${groupId}/commits`,
          headers: owner.auth,
          payload: bodies.commit,
        });
        expect(commit.statusCode).toBe(200);
      }
    }
    // Mallory (the fuzzer's account) may name anything but must not be able to revoke itself away.
    known.set(ID_PATTERN, [
      legitGroup,
      malloryGroup,
      alice.deviceId,
      bob.deviceId,
      alice.accountId,
      mallory.accountId,
    ]);
    known.set("^[a-z0-9][a-z0-9_.-]{2,31}$", [alice.handle, mallory.handle]);

    aliceGateway = (await connectIdentified(gatewayUrl, alice)).client;
    await aliceGateway.untilSynced();
    bobGateway = (await connectIdentified(gatewayUrl, bob)).client;
    await bobGateway.untilSynced();

    // The legitimate member: one message every ~10 ms, 3 of 4 over the gateway, 1 over REST.
    legit.done = (async () => {
      for (let i = 0; !legit.stop; i++) {
        const messageId = newId();
        const body = { messageId, epoch: 1, ciphertext: fakeCiphertext(200) };
        if (i % 4 === 3) {
          const res = await f.app.inject({
            method: "POST",
            url: `/v1/groups/${legitGroup}/messages`,
            headers: alice.auth,
            payload: body,
          });
          if (res.statusCode !== 200) legit.failures.push(`REST ${res.statusCode} ${res.body}`);
        } else {
          aliceGateway.send({ op: GatewayOp.SEND, d: { groupId: legitGroup, ...body } });
          const answer = await aliceGateway.next(
            (x) =>
              (x.op === GatewayOp.SEND_ACK || x.op === GatewayOp.ERROR) &&
              ((x.d as { messageId?: string }).messageId === messageId ||
                (x.d as { details?: { messageId?: string } }).details?.messageId === messageId),
            30_000,
          );
          if (answer.op !== GatewayOp.SEND_ACK) legit.failures.push(`SEND ${JSON.stringify(answer.d)}`);
        }
        legit.sent.push(messageId);
        await sleep(10);
      }
    })();
  });
  afterAll(async () => {
    legit.stop = true;
    await legit.done.catch(() => {});
    await aliceGateway?.close();
    await bobGateway?.close();
    await f?.close();
  });

  const tokenFor = (auth: "none" | "mallory" | "garbage"): Record<string, string> =>
    auth === "mallory" ? mallory.auth : auth === "garbage" ? { authorization: "Bearer not-a-token" } : {};

  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant("application/json") },
    fc.constantFrom(
      "text/plain",
      "application/json; charset=latin1",
      "application/x-www-form-urlencoded",
      "",
    ),
  );

  /** A request body for a route: shaped, shaped with a wrong type, garbage text or invalid UTF-8. */
  const bodyFor = (schema: TSchema | undefined): fc.Arbitrary<string | Buffer | undefined> => {
    const garbage = fc.oneof(
      garbageBody,
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.constant(undefined),
    );
    if (!schema) return garbage;
    const good = shaped(schema, known);
    return fc.oneof(
      { weight: 4, arbitrary: good.map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: good.chain(withWrongType).map((v) => JSON.stringify(v) ?? "null") },
      { weight: 2, arbitrary: good.chain(withDeepNesting) },
      { weight: 3, arbitrary: garbage },
    );
  };

  /** A concrete path for a route's template: every `:param` shaped (known ids mixed in) or garbage. */
  const pathFor = (spec: RouteSpec): fc.Arbitrary<string> => {
    const names = [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
    if (names.length === 0) return fc.constant(spec.path);
    const properties = (spec.params as unknown as { properties: Record<string, TSchema> }).properties;
    const segment = (name: string) =>
      fc.oneof(
        {
          weight: 3,
          arbitrary: shaped(properties[name] as TSchema, known).map((v) => encodeURIComponent(String(v))),
        },
        { weight: 2, arbitrary: garbageSegment },
      );
    return fc
      .tuple(...names.map(segment))
      .map((values) =>
        names.reduce((path, name, i) => path.replace(`:${name}`, values[i] as string), spec.path),
      );
  };

  it("answers every REST route's shaped and garbage requests with a typed answer, never a 5xx", async () => {
    const routes = Object.values(ROUTES) as RouteSpec[];
    for (const spec of routes) {
      const request = fc.record({
        url: fc.tuple(
          pathFor(spec),
          fc.oneof(fc.constant(""), fc.constantFrom("?a=1", "?%zz", `?x=${"y".repeat(500)}`)),
        ),
        body: bodyFor(spec.body),
        type: contentType,
        // Authenticated routes mostly with a valid token, so shaped bodies reach the services.
        auth: (spec.auth
          ? fc.constantFrom("mallory", "mallory", "mallory", "none", "garbage")
          : fc.constantFrom("none", "mallory", "garbage")) as fc.Arbitrary<"none" | "mallory" | "garbage">,
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ url: [path, query], body, type, auth }) => {
          const url = `${path}${query}`;
          const res = await f.app.inject({
            method: spec.method,
            url,
            headers: { ...tokenFor(auth), ...(body !== undefined && type ? { "content-type": type } : {}) },
            ...(body !== undefined && spec.method !== "GET" ? { payload: body } : {}),
          });
          expectTypedAnswer(res, spec, describeRequest(spec.method, url, body));
        }),
        options(50),
      );
    }
    // Anything else: unknown paths and methods, garbage segments under every prefix.
    const stray = fc.record({
      method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD") as fc.Arbitrary<
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "HEAD"
      >,
      prefix: fc.constantFrom(
        "/v1/",
        "/v1/accounts/",
        "/v1/groups/",
        "/v1/device-links/",
        "/",
        "/assets/",
        "/i/",
      ),
      segments: fc.array(garbageSegment, { minLength: 1, maxLength: 3 }),
      body: fc.option(garbageBody, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(stray, async ({ method, prefix, segments, body }) => {
        const url = `${prefix}${segments.join("/")}`;
        const res = await f.app.inject({
          method,
          url,
          headers: body === undefined ? {} : { "content-type": "application/json" },
          ...(body !== undefined && method !== "GET" && method !== "HEAD" ? { payload: body } : {}),
        });
        expect(res.statusCode, describeRequest(method, url, body)).toBeLessThan(500);
        if (res.statusCode >= 400 && method !== "HEAD")
          expectTypedAnswer(res, undefined, describeRequest(method, url, body));
      }),
      options(150),
    );
    expect(f.logs()).not.toContain('"level":50');
  }, 120_000);

  it("answers every gateway op's shaped and garbage frames with typed errors; connections and the server survive", async () => {
    const mallorysConnection = (await connectIdentified(gatewayUrl, mallory)).client;
    await mallorysConnection.untilSynced();
    const closes: { code: number; reason: string }[] = [];
    let anonymous: GatewayClient | undefined;
    const anon = async () => {
      if (!anonymous || anonymous.ws.readyState !== anonymous.ws.OPEN) {
        if (anonymous) closes.push(await anonymous.closed);
        anonymous = await connectGateway(gatewayUrl);
      }
      return anonymous;
    };
    const anonymousClients: GatewayClient[] = [];

    const frameSchemas = ClientFrame.anyOf as unknown as TSchema[];
    const shapedFrame = fc.oneof(...frameSchemas.map((schema) => shaped(schema, known)));
    const text = fc.oneof(
      { weight: 5, arbitrary: shapedFrame.map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: shapedFrame.chain(withWrongType).map((v) => JSON.stringify(v) ?? "null") },
      {
        weight: 1,
        arbitrary: shapedFrame.chain((v) =>
          withWrongType((v as { d?: unknown }).d).map((d) => JSON.stringify({ ...(v as object), d })),
        ),
      },
      {
        weight: 2,
        arbitrary: garbageBody.filter((s) => Buffer.byteLength(s) < LIMITS.inboundFrameHardCapBytes),
      },
      {
        weight: 1,
        arbitrary: fc
          .record({ op: fc.integer({ min: -5, max: 40 }), d: fc.jsonValue() })
          .map((v) => JSON.stringify(v)),
      },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 30, max: 60_000 })
          .map((depth) => `{"op":15,"d":${deeplyNested(depth)}}`),
      },
      {
        weight: 1,
        arbitrary: shapedFrame
          .map((v) => (v as { d?: unknown }).d)
          .chain(withDeepNesting)
          .map((d) => `{"op":12,"d":${d}}`),
      },
    );
    const frame = fc.oneof(
      { weight: 9, arbitrary: text.map((data) => ({ data, binary: false })) },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ maxLength: 500 })
          .map((bytes) => ({ data: Buffer.from(bytes), binary: true })),
      },
    );

    await fc.assert(
      fc.asyncProperty(frame, async ({ data, binary }) => {
        mallorysConnection.send(data, { binary });
        const client = await anon();
        client.send(data, { binary });
        // Every answer so far is typed; the authenticated connection is never closed by a frame.
        expect(mallorysConnection.ws.readyState, String(data).slice(0, 200)).toBe(mallorysConnection.ws.OPEN);
      }),
      options(300),
    );
    // Invalid UTF-8 in a text frame fails the connection with 1007, as RFC 6455 §8.1 requires.
    const utf8 = await connectGateway(gatewayUrl);
    anonymousClients.push(utf8);
    utf8.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await utf8.closed).code).toBe(1007);

    await expectStillServing(mallorysConnection);
    const everything = [...mallorysConnection.received, ...(anonymous?.received ?? [])];
    for (const received of everything) {
      if (received.op === GatewayOp.ERROR) {
        const { code, message } = received.d as { code: unknown; message: unknown };
        expect(isErrorCode(code), JSON.stringify(received.d)).toBe(true);
        expect(typeof message).toBe("string");
      }
    }
    for (const { code, reason } of closes) {
      expect(CLOSE_CODES.has(code), `${code} ${reason}`).toBe(true);
      expect(isErrorCode(reason), reason).toBe(true);
    }
    await anonymous?.close();
    await mallorysConnection.close();
    expect((await f.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect(f.logs()).not.toContain('"level":50');
  }, 120_000);

  it("lost nothing of the legitimate member's traffic meanwhile: every message acknowledged, stored and delivered", async () => {
    legit.stop = true;
    await legit.done;
    expect(legit.failures).toEqual([]);
    expect(legit.sent.length).toBeGreaterThan(10);
    const wanted = new Set(legit.sent);
    const delivered = new Set<string>();
    const isLegit = (x: Frame) =>
      x.t === "GROUP_MESSAGE" && (x.d as { groupId: string }).groupId === legitGroup;
    for (const x of bobGateway.received)
      if (isLegit(x)) delivered.add((x.d as { messageId: string }).messageId);
    while ([...wanted].some((id) => !delivered.has(id))) {
      const x = await bobGateway.next(isLegit, 10_000);
      delivered.add((x.d as { messageId: string }).messageId);
    }
    // Stored: a fresh connection of bob's reads them all back from the store, in order, once each.
    const { client } = await connectIdentified(gatewayUrl, bob);
    const { events } = await client.untilSynced(20_000);
    await client.close();
    const stored = events
      .filter((x) => isLegit(x) && (x.d as { kind: string }).kind === "application")
      .map((x) => (x.d as { messageId: string }).messageId);
    expect(stored).toEqual(legit.sent);
  }, 60_000);
});
