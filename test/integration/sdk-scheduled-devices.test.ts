import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile, linkNodeProfile } from "@volly/client/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { TEST_KDF } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * A recurring schedule kept going by a long-running second device of the account (as a web tab
 * is), against a real `volly serve` process: alice's phone schedules `every 1s` and closes; her
 * laptop stays connected without reconnecting (so no new sync), learns the definition from the
 * account document and tops the series up as its occurrences go out (whichever device held them),
 * until it cancels it.
 */
describe("a recurring schedule on a long-running second device (SDK)", () => {
  let server: ServerProcess;
  const home = tempDir("volly-sdk-scheduled-devices-");
  const open: VollyClient[] = [];
  const options = {
    initialBackoffMs: 50,
    maxBackoffMs: 500,
    scheduling: { allowSecondIntervals: true },
  };

  beforeAll(async () => {
    server = await startServerProcess(undefined, 0, { VOLLY_SCHEDULED_POLL_MS: "200" });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    await server?.stop();
  });

  it("the laptop tops up the phone's series while it runs, and its cancel stops it", async () => {
    const profile = (handle: string) =>
      initNodeProfile(
        join(home, handle),
        { serverUrl: server.url, handle, pin: "123456", kdf: TEST_KDF },
        options,
      );
    const [phone, bob] = await Promise.all([profile("alice"), profile("bob")]);
    open.push(phone, bob);
    await Promise.all([phone.connect(), bob.connect()]);
    const conv = (await phone.resolveConversation("@bob")).id;
    const got = new Map<string, string>();
    bob.messaging.received.add((m) => {
      if (m.body.type === "text") got.set(m.id, m.body.text);
    });
    const ticks = () => [...got.values()].filter((t) => t === "tick").length;

    const link = await phone.devices.startLink();
    const [laptop] = await Promise.all([
      linkNodeProfile(
        join(home, "alice-laptop"),
        { code: link.code, pin: "123456", deviceName: "laptop", kdf: TEST_KDF, pollIntervalMs: 50 },
        options,
      ),
      phone.devices.waitAndApprove(link.linkId, link.secret, 30_000),
    ]);
    open.push(laptop);
    // The laptop's background failures (a top-up that failed), quoted if the ticks stop.
    const failures: string[] = [];
    laptop.diagnostics.failures.add((f) => failures.push(`${f.label}: ${f.code} ${f.message}`));
    await laptop.connect();
    await waitFor(async () => (await laptop.conversations.list()).some((c) => c.id === conv), {
      timeoutMs: 60_000,
      message: "the laptop is in the conversation",
    });

    const series = await phone.scheduled.schedule(conv, "tick", { every: "every 1s" });
    await waitFor(
      async () =>
        (await laptop.scheduled.list()).some(
          (e) => e.id === series.id && e.rule === "every 1s" && e.text === "tick",
        ),
      { timeoutMs: 30_000, message: "the laptop lists the phone's schedule with its rule and text" },
    );
    // The phone is gone. Between them the two held 7 occurrences; the laptop tops up as they go out,
    // including those it held itself (the server never delivers a device's own entries back to it,
    // so only its timer tells it those went out): more than twice 7 out means it kept going.
    await phone.close();
    open.splice(open.indexOf(phone), 1);
    await waitFor(() => ticks() >= 16, { timeoutMs: 60_000, message: "sixteen ticks" }).catch(
      (error: Error) => {
        const failed = failures.join("; ") || "none";
        throw new Error(`${error.message}: ${ticks()} ticks; the laptop's background failures: ${failed}`);
      },
    );

    await laptop.scheduled.cancel(series.id);
    expect((await laptop.scheduled.list()).filter((e) => e.id === series.id)).toEqual([]);
    const marker = await laptop.messaging.send(conv, "marker");
    await waitFor(() => got.has(marker.id), { message: "bob received the marker" });
    const before = ticks();
    const marker2 = await laptop.messaging.send(conv, "marker 2");
    await waitFor(() => got.has(marker2.id), { message: "bob received the second marker" });
    expect(ticks()).toBe(before);
  }, 180_000);
});
