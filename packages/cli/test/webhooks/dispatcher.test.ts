import { afterEach, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../../test/helpers/temp-dir.js";
import { waitFor } from "../../../../test/helpers/wait-for.js";
import {
  createWebhookDispatcher,
  enableWebhookEndpoint,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from "../../src/daemon/webhooks/index.js";
import { messageEvent, newSecret, Receiver, verify } from "./receiver.js";

// Real receivers (node:http on 127.0.0.1) and real fetch; only the retry delays are made small.
const FAST = { initialDelayMs: 20, maxDelayMs: 200, maxAttempts: 5 };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(...args: ConstructorParameters<typeof Receiver>): Promise<Receiver> {
  const r = await new Receiver(...args).start();
  cleanups.push(() => r.stop());
  return r;
}

function stateDir(): string {
  const { dir, remove } = removableTempDir("volly-webhooks-");
  cleanups.push(remove);
  return dir;
}

async function dispatcher(
  options: Partial<WebhookDispatcherOptions> & Pick<WebhookDispatcherOptions, "endpoints">,
): Promise<{ d: WebhookDispatcher; logs: string[] }> {
  const logs: string[] = [];
  const d = await createWebhookDispatcher({
    stateDir: options.stateDir ?? stateDir(),
    retry: FAST,
    log: (line) => logs.push(line),
    ...options,
  });
  cleanups.push(() => d.close());
  return { d, logs };
}

describe("webhooks: Standard Webhooks delivery", () => {
  it("POSTs the event's JSON, signed, with webhook-id = the event id; a receiver verifies it", async () => {
    const r = await receiver();
    const secret = newSecret();
    const { d } = await dispatcher({ endpoints: [{ url: r.url, secrets: [secret] }] });
    const event = messageEvent("signed hello");
    d.enqueue(event);
    await waitFor(() => r.received.length === 1, { message: "the delivery" });

    const [got] = r.received;
    expect(got?.headers["content-type"]).toBe("application/json");
    expect(got?.headers["webhook-id"]).toBe(event.id);
    expect(Math.abs(Number(got?.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(got?.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(secret, got as NonNullable<typeof got>)).toEqual(event);
    expect(got?.body).toBe(JSON.stringify(event));
    // The check can fail: another secret, or a changed body, does not verify.
    expect(() => verify(newSecret(), got as NonNullable<typeof got>)).toThrow(/No matching signature/);
    expect(() => verify(secret, { ...(got as NonNullable<typeof got>), body: `${got?.body} ` })).toThrow();
  });

  it("signs once per secret (rotation): a receiver knowing only either secret verifies", async () => {
    const r = await receiver();
    const [oldSecret, newOne] = [newSecret(), newSecret(32)];
    const { d } = await dispatcher({ endpoints: [{ url: r.url, secrets: [oldSecret, newOne] }] });
    const event = messageEvent("rotating");
    d.enqueue(event);
    await waitFor(() => r.received.length === 1, { message: "the delivery" });

    const got = r.received[0] as NonNullable<(typeof r.received)[0]>;
    const signatures = String(got.headers["webhook-signature"]).split(" ");
    expect(signatures).toHaveLength(2);
    for (const s of signatures) expect(s.startsWith("v1,")).toBe(true);
    expect(verify(oldSecret, got)).toEqual(event);
    expect(verify(newOne, got)).toEqual(event);
    expect(() => verify(newSecret(), got)).toThrow(/No matching signature/);
  });

  it("retries 500s with back-off: delivered exactly once, on the third attempt, same webhook-id", async () => {
    const r = await receiver((n) => (n < 2 ? 500 : 200));
    const secret = newSecret();
    const { d, logs } = await dispatcher({ endpoints: [{ url: r.url, secrets: [secret] }] });
    const event = messageEvent("retry me");
    d.enqueue(event);
    await waitFor(() => logs.some((l) => l.includes(`delivery ${event.id} delivered on attempt 3`)), {
      message: "the third attempt to succeed",
    });

    expect(r.received.map((x) => x.headers["webhook-id"])).toEqual([event.id, event.id, event.id]);
    for (const got of r.received) expect(verify(secret, got)).toEqual(event);
    expect(logs.filter((l) => l.includes("failed (HTTP 500)"))).toHaveLength(2);
    // Nothing more for it: a later event arrives and the first one's count stays 3.
    const next = messageEvent("after");
    d.enqueue(next);
    await waitFor(() => r.withId(next.id).length === 1, { message: "the next event" });
    expect(r.withId(event.id)).toHaveLength(3);
  });

  it("honours Retry-After on 429 (the next attempt waits for it, not for the short back-off)", async () => {
    const r = await receiver((n) => (n === 0 ? { status: 429, headers: { "retry-after": "1" } } : 200));
    // Retry-After is capped at maxDelayMs, so the cap here is above the 1 s asked.
    const { d } = await dispatcher({
      endpoints: [{ url: r.url, secrets: [newSecret()] }],
      retry: { initialDelayMs: 20, maxDelayMs: 5_000 },
    });
    d.enqueue(messageEvent());
    await waitFor(() => r.received.length === 2, { message: "the retry after 429" });
    const [first, second] = r.received;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("gives an attempt a timeout, then retries", async () => {
    const r = await receiver((n) => (n === 0 ? "hang" : 200));
    const { d, logs } = await dispatcher({
      endpoints: [{ url: r.url, secrets: [newSecret()] }],
      attemptTimeoutMs: 300,
    });
    const event = messageEvent();
    d.enqueue(event);
    await waitFor(() => logs.some((l) => l.includes(`${event.id} delivered on attempt 2`)), {
      message: "delivery after a timeout",
    });
    expect(logs.some((l) => l.includes("no answer within 300 ms"))).toBe(true);
  });

  it("gives up on a delivery after maxAttempts (other 4xx are failures, retried as the spec says)", async () => {
    const r = await receiver(() => 400);
    const { d, logs } = await dispatcher({
      endpoints: [{ url: r.url, secrets: [newSecret()] }],
      retry: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 },
    });
    const event = messageEvent();
    d.enqueue(event);
    await waitFor(
      () => logs.some((l) => l.includes(`${event.id} given up after 3 attempts (last: HTTP 400)`)),
      {
        message: "giving up",
      },
    );
    expect(r.withId(event.id)).toHaveLength(3);
  });

  it("an endpoint answering 410 Gone is disabled: onDisabled, no more deliveries, even after a restart", async () => {
    const gone = await receiver(() => 410);
    const other = await receiver();
    const dir = stateDir();
    const disabled: string[] = [];
    const endpoints = [
      { url: gone.url, secrets: [newSecret()] },
      { url: other.url, secrets: [newSecret()] },
    ];
    const first = await dispatcher({ endpoints, stateDir: dir, onDisabled: (url) => disabled.push(url) });
    first.d.enqueue(messageEvent("one"));
    await waitFor(() => disabled.length === 1, { message: "onDisabled" });
    expect(disabled).toEqual([gone.url]);
    expect(first.logs.some((l) => l.includes("answered 410 Gone: disabled"))).toBe(true);

    const two = messageEvent("two");
    first.d.enqueue(two);
    await waitFor(() => other.withId(two.id).length === 1, { message: "the other endpoint's delivery" });
    expect(gone.received).toHaveLength(1);
    await first.d.close();

    // Persisted in the state dir: a new dispatcher reports it and sends nothing to it.
    const again = await dispatcher({ endpoints, stateDir: dir, onDisabled: (url) => disabled.push(url) });
    expect(disabled).toEqual([gone.url, gone.url]);
    const three = messageEvent("three");
    again.d.enqueue(three);
    await waitFor(() => other.withId(three.id).length === 1, { message: "the other endpoint's delivery" });
    expect(gone.received).toHaveLength(1);
    await again.d.close();

    // The operator enables it again.
    expect(enableWebhookEndpoint(dir, gone.url)).toBe(true);
    gone.answerWith(() => 200);
    const enabled = await dispatcher({ endpoints, stateDir: dir });
    const four = messageEvent("four");
    enabled.d.enqueue(four);
    await waitFor(() => gone.withId(four.id).length === 1, {
      message: "delivery to the re-enabled endpoint",
    });
  });

  it("survives a restart: queued while the receiver is down, delivered once by the next dispatcher", async () => {
    const r = await receiver();
    const port = r.port;
    await r.stop(); // the receiver is down: connection refused
    const dir = stateDir();
    const secret = newSecret();
    const endpoints = [{ url: `http://127.0.0.1:${port}/hooks`, secrets: [secret] }];
    const first = await dispatcher({
      endpoints,
      stateDir: dir,
      retry: { initialDelayMs: 50, maxDelayMs: 100 },
    });
    const event = messageEvent("durable");
    first.d.enqueue(event);
    await waitFor(() => first.logs.some((l) => l.includes(`${event.id} attempt 1 failed (network error`)), {
      message: "a failed attempt",
    });
    await first.d.close();

    const up = await new Receiver().start(port);
    cleanups.push(() => up.stop());
    const second = await dispatcher({ endpoints, stateDir: dir });
    expect(second.logs).toContain(`webhook http://127.0.0.1:${port}/hooks: 1 queued deliveries resumed`);
    await waitFor(() => up.withId(event.id).length === 1, { message: "the delivery after the restart" });
    expect(verify(secret, up.received[0] as NonNullable<(typeof up.received)[0]>)).toEqual(event);
    // The receiver has the request before the dispatcher has its answer; closing before then aborts
    // the attempt, which stays queued (at-least-once). Wait until the delivery is recorded.
    await waitFor(() => second.logs.some((l) => l.includes(`${event.id} delivered on attempt 2`)), {
      message: "the delivery recorded as delivered",
    });
    await second.d.close();

    // Delivered ones are not resent by the next dispatcher, nor when enqueued again.
    const third = await dispatcher({ endpoints, stateDir: dir });
    expect(third.logs.some((l) => l.includes("resumed"))).toBe(false);
    third.d.enqueue(event);
    const later = messageEvent("later");
    third.d.enqueue(later);
    await waitFor(() => up.withId(later.id).length === 1, { message: "the later event" });
    expect(up.withId(event.id)).toHaveLength(1);
  });

  it("probes an unreachable endpoint with one request per back-off step, not every queued delivery", async () => {
    const down = await receiver();
    const port = down.port;
    await down.stop(); // connection refused from now on
    const up = await receiver(); // a reachable endpoint of the same dispatcher, as a clock
    const { d, logs } = await dispatcher({
      endpoints: [
        { url: `http://127.0.0.1:${port}/hooks`, secrets: [newSecret()] },
        { url: up.url, secrets: [newSecret()] },
      ],
      retry: { initialDelayMs: 5_000, maxDelayMs: 10_000 },
      concurrency: 1,
    });
    for (let i = 0; i < 20; i++) d.enqueue(messageEvent(`queued ${i}`));
    await waitFor(() => logs.some((l) => l.includes("attempt 1 failed (network error")), {
      message: "a failed attempt",
    });
    // Meanwhile the other endpoint takes all 20 and three more, one after the other.
    await waitFor(() => up.received.length === 20, { message: "the reachable endpoint's deliveries" });
    for (let i = 0; i < 3; i++) {
      const marker = messageEvent(`marker ${i}`);
      d.enqueue(marker);
      await waitFor(() => up.withId(marker.id).length === 1, { message: "a marker" });
    }
    await d.close();
    // The unreachable endpoint was tried once, then paused until that delivery's next attempt.
    expect(logs.filter((l) => l.includes("failed (network error"))).toHaveLength(1);
  });

  it("rejects bad secrets, URLs and options with VOLLY_E_USAGE, creating nothing", async () => {
    const dir = `${stateDir()}/never-created`;
    const url = "http://127.0.0.1:9/hooks";
    const bad: Array<WebhookDispatcherOptions["endpoints"]> = [
      [{ url, secrets: ["not-a-secret"] }],
      [{ url, secrets: [`whsec_${Buffer.alloc(16).toString("base64")}`] }], // 16 bytes: too short
      [{ url, secrets: ["whsec_***notbase64***"] }],
      [{ url, secrets: [] }],
      [{ url: "ftp://example.com/", secrets: [newSecret()] }],
      [{ url: "/relative", secrets: [newSecret()] }],
      [{ url: "http://user:pw@127.0.0.1:9/hooks", secrets: [newSecret()] }],
      [
        { url, secrets: [newSecret()] },
        { url, secrets: [newSecret()] },
      ],
    ];
    for (const endpoints of bad) {
      await expect(createWebhookDispatcher({ endpoints, stateDir: dir })).rejects.toMatchObject({
        code: "VOLLY_E_USAGE",
      });
    }
    const secret = newSecret();
    const error = await createWebhookDispatcher({
      endpoints: [{ url, secrets: [secret.slice(0, -2)] }],
      stateDir: dir,
    })
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(error?.message).not.toContain(secret.slice(6, 20));
    await expect(
      createWebhookDispatcher({ endpoints: [], stateDir: dir, retry: { maxAttempts: 0 } }),
    ).rejects.toMatchObject({ code: "VOLLY_E_USAGE" });
    const { existsSync } = await import("node:fs");
    expect(existsSync(dir)).toBe(false);
  });

  it("lets one dispatcher at a time use a state dir (two would send everything twice)", async () => {
    const r = await receiver();
    const dir = stateDir();
    const endpoints = [{ url: r.url, secrets: [newSecret()] }];
    const first = await dispatcher({ endpoints, stateDir: dir });
    await expect(createWebhookDispatcher({ endpoints, stateDir: dir })).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
      message: expect.stringContaining("in use by another process"),
    });
    expect(() => enableWebhookEndpoint(dir, r.url)).toThrow(
      expect.objectContaining({ code: "VOLLY_E_USAGE" }),
    );
    const event = messageEvent();
    first.d.enqueue(event); // the first one still works
    await waitFor(() => r.withId(event.id).length === 1, { message: "the delivery" });
    await first.d.close();
    const second = await dispatcher({ endpoints, stateDir: dir });
    await second.d.close();
  });

  it("rejects an event that is not a MemberEvent, and any enqueue after close", async () => {
    const r = await receiver();
    const { d } = await dispatcher({ endpoints: [{ url: r.url, secrets: [newSecret()] }] });
    const bogus = { ...messageEvent(), id: "has.a.dot" };
    expect(() => d.enqueue(bogus)).toThrow(expect.objectContaining({ code: "VOLLY_E_BAD_REQUEST" }));
    await d.close();
    expect(() => d.enqueue(messageEvent())).toThrow(
      expect.objectContaining({ code: "VOLLY_E_SHUTTING_DOWN" }),
    );
    expect(r.received).toHaveLength(0);
  });
});
