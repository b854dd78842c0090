import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sleep, waitFor } from "../../../test/helpers/wait-for.js";
import type { Bus } from "../src/bus/bus.js";
import type { BusMessage } from "../src/bus/messages.js";
import { createRedisBus } from "../src/bus/redis-bus.js";
import type { BusErrorKind } from "../src/metrics.js";
import { freePort, type PrivateRedis, REDIS_SERVER, startPrivateRedis } from "./helpers/redis-server.js";

describe.skipIf(!REDIS_SERVER.run)("Redis bus (scaled shape: fanout between nodes)", () => {
  let redis: PrivateRedis;
  const buses: Bus[] = [];
  const errors: BusErrorKind[] = [];
  beforeAll(async () => {
    REDIS_SERVER.assert();
    redis = await startPrivateRedis();
  });
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
    errors.length = 0;
  });
  afterAll(() => redis?.stop());

  const node = async (prefix = "test:") => {
    const bus = await createRedisBus({
      url: redis.url,
      channelPrefix: prefix,
      maxReconnectDelayMs: 100,
      onError: (kind) => errors.push(kind),
    });
    buses.push(bus);
    return bus;
  };
  const appended = (seq: number): BusMessage => ({
    type: "group-appended",
    groupId: "g1",
    seq,
    kind: "application",
  });

  it("delivers a message published on one node to the subscribers of every node, itself included", async () => {
    const [one, two] = [await node(), await node()];
    const got: [string, BusMessage][] = [];
    one.subscribe("group:g1", (m) => got.push(["one", m]));
    const stop = two.subscribe("group:g1", (m) => got.push(["two", m]));
    two.subscribe("group:other", (m) => got.push(["other", m]));
    await Promise.all([one.settled(), two.settled()]);
    one.publish("group:g1", appended(1));
    await waitFor(() => got.length === 2, { message: "both nodes", timeoutMs: 5_000 });
    expect(got.map(([n]) => n).sort()).toEqual(["one", "two"]);
    expect(got[0]?.[1]).toEqual(appended(1));
    stop();
    await two.settled();
    one.publish("group:g1", appended(2));
    await waitFor(() => got.length === 3, { message: "node one", timeoutMs: 5_000 });
    await sleep(100);
    expect(got.map(([n, m]) => [n, (m as { seq: number }).seq])).toEqual([
      ...got.slice(0, 2).map(([n]) => [n, 1]),
      ["one", 2],
    ]);
    expect(one.connected() && two.connected()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("counts and drops invalid payloads, and keeps delivering valid ones", async () => {
    const bus = await node();
    const got: BusMessage[] = [];
    bus.subscribe("group:g1", (m) => got.push(m));
    await bus.settled();
    const raw = new Redis(redis.url);
    try {
      await raw.publish("test:group:g1", "not json");
      await raw.publish("test:group:g1", JSON.stringify({ type: "group-appended", groupId: "g1", seq: "1" }));
      await raw.publish("test:control", "nonsense");
      await raw.publish("test:group:g1", JSON.stringify(appended(7)));
    } finally {
      raw.disconnect();
    }
    await waitFor(() => got.length === 1, { message: "the valid message", timeoutMs: 5_000 });
    expect(got).toEqual([appended(7)]);
    expect(errors).toEqual(["invalid-message", "invalid-message", "invalid-message"]);
  });

  it("keeps deployments apart by channel prefix", async () => {
    const [a, b] = [await node("a:"), await node("b:")];
    const got: BusMessage[] = [];
    b.subscribe("group:g1", (m) => got.push(m));
    await b.settled();
    a.publish("group:g1", appended(1));
    await sleep(150);
    expect(got).toEqual([]);
  });

  it("survives a Redis restart: publishing while down is counted, not thrown; both nodes resubscribe and resync", async () => {
    const [one, two] = [await node(), await node()];
    const resyncs = { one: 0, two: 0 };
    one.onResync(() => resyncs.one++);
    two.onResync(() => resyncs.two++);
    const got: BusMessage[] = [];
    two.subscribe("group:g1", (m) => got.push(m));
    await two.settled();
    await redis.stop();
    await waitFor(() => !one.connected() && !two.connected(), {
      message: "both to notice",
      timeoutMs: 5_000,
    });
    expect(() => one.publish("group:g1", appended(1))).not.toThrow();
    // counted at once when the publishing connection already knows Redis is gone, else when its
    // write fails (one node can notice the loss on its subscriber connection first)
    await waitFor(() => errors.includes("publish"), {
      message: "the failed publish counted",
      timeoutMs: 5_000,
    });
    await two.settled(); // does not hang while Redis is down
    await redis.start();
    await waitFor(() => one.connected() && two.connected(), {
      message: "both to reconnect",
      timeoutMs: 10_000,
    });
    await waitFor(() => resyncs.one > 0 && resyncs.two > 0, { message: "resync signals", timeoutMs: 5_000 });
    one.publish("group:g1", appended(2));
    await waitFor(() => got.length === 1, { message: "delivery after the restart", timeoutMs: 5_000 });
    expect(got).toEqual([appended(2)]); // the one published while down is gone: resync covers it
  });

  it("refuses to start when Redis does not answer, leaving nothing open", async () => {
    const port = await freePort();
    await expect(createRedisBus({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 })).rejects.toThrow(
      /cannot connect to Redis/,
    );
  });
});
