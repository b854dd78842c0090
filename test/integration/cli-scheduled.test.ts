import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

type Line = Record<string, unknown>;

/**
 * Scheduled messages end to end: real `volly serve` processes and the real CLI. The sender's CLI
 * exits right after scheduling (its device is off from then on); the server holds the ciphertext
 * and releases it at its time. Covers a one-off delivered once at or after its time, cancel, a
 * server restart between scheduling and the time, a recurring schedule (the test-only rule
 * `every Ns`, enabled by VOLLY_DEV_SCHEDULE_SECONDS=1, releases at least two occurrences), an epoch
 * change while the sender is off (receivers keep past epochs' keys), and an epoch change the
 * sender saw (it re-encrypted, so a member added after scheduling reads it too).
 */
describe("volly send --at / --every and volly scheduled", () => {
  let server: ServerProcess;
  const data = tempDir("volly-scheduled-data-");
  const home = tempDir("volly-cli-scheduled-");
  const env = { VOLLY_DEV_SCHEDULE_SECONDS: "1" };
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];
  const received = new Map<string, Line[]>();

  async function ok(handle: string, ...args: string[]): Promise<Line[]> {
    const r = await runVolly([...as(handle), ...args], env);
    expect(r.code, `${handle} ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  }
  /** Runs `volly receive` for `handle` and records what it printed, with when it returned. */
  async function receive(handle: string): Promise<Line[]> {
    const got = (await ok(handle, "receive")).map((l) => ({ ...l, receivedAt: Date.now() }));
    received.set(handle, [...(received.get(handle) ?? []), ...got]);
    return received.get(handle) ?? [];
  }
  /**
   * Runs `volly receive` for `handle` until `done` holds for everything it received so far. With
   * `notBefore` (a scheduled message's time, ms) it starts only once the clock has passed that time:
   * the server releases a scheduled message at or after its time (the first test checks that), so a
   * `volly receive` before then cannot bring it — each one is a CLI process (~1 s of CPU) taken from
   * the test files running beside this one.
   */
  async function receiveUntil(
    handle: string,
    done: (all: Line[]) => boolean,
    message: string,
    notBefore?: number,
  ): Promise<Line[]> {
    if (notBefore !== undefined) {
      await waitFor(() => Date.now() >= notBefore, {
        timeoutMs: notBefore - Date.now() + 1_000,
        intervalMs: 100,
        message: `${new Date(notBefore).toISOString()} (the scheduled time)`,
      });
    }
    await waitFor(async () => done(await receive(handle)), { timeoutMs: 180_000, intervalMs: 200, message });
    return received.get(handle) ?? [];
  }
  const withId = (all: Line[], id: string) => all.filter((l) => l.id === id);
  /**
   * How far ahead a test schedules: enough for the few CLI runs (each well under 10 s on busy
   * cores) that must happen before the server releases the message, and no more, since each test
   * waits for its message in real time.
   */
  const LEAD_MS = 20_000;
  const startServer = (port = 0) => startServerProcess(data, port, { VOLLY_SCHEDULED_POLL_MS: "200" });

  beforeAll(async () => {
    server = await startServer();
    await Promise.all(
      ["alice", "bob", "carol", "dave"].map((handle) =>
        ok(handle, "init", "--server", server.url, "--handle", handle),
      ),
    );
    const invite = await ok("alice", "invite");
    await ok("bob", "accept", String(invite[0]?.link));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("a one-off goes out once, at or after its time, while the sender is off; listed until then", async () => {
    const at = Date.now() + LEAD_MS;
    const [scheduled] = await ok(
      "alice",
      "send",
      "@bob",
      "see you at noon",
      "--at",
      new Date(at).toISOString(),
    );
    expect(scheduled).toMatchObject({ scheduled: true, rule: null, text: "see you at noon" });
    const id = String(scheduled?.id);
    const listed = await ok("alice", "scheduled", "list");
    expect(listed).toEqual([
      expect.objectContaining({ id, next: new Date(at).toISOString(), text: "see you at noon" }),
    ]);
    // bob looks once before its time (an early release would show below: received before `at`).
    await receive("bob");
    const all = await receiveUntil("bob", (l) => withId(l, id).length > 0, "the scheduled message", at);
    const got = withId(all, id);
    expect(got).toEqual([expect.objectContaining({ from: "alice", text: "see you at noon" })]);
    expect(Number(got[0]?.receivedAt)).toBeGreaterThanOrEqual(at);
    expect(await ok("alice", "scheduled", "list")).toEqual([]);
    // once: a later receive brings nothing more of it
    await ok("alice", "send", "@bob", "marker 1");
    await receiveUntil("bob", (l) => l.some((m) => m.text === "marker 1"), "marker 1");
    expect(withId(received.get("bob") ?? [], id)).toHaveLength(1);
  }, 300_000);

  it("a cancelled message is never delivered; bad --at values are usage errors (exit 2)", async () => {
    const doomedAt = Date.now() + LEAD_MS;
    const [doomed] = await ok(
      "alice",
      "send",
      "@bob",
      "never mind",
      "--at",
      new Date(doomedAt).toISOString(),
    );
    await ok("alice", "scheduled", "cancel", String(doomed?.id));
    // Due after the cancelled one's time (released in time order, so it would have come first), and
    // far enough ahead to still be in the future when this `send` checks --at.
    const markerAt = Math.max(doomedAt + 2_000, Date.now() + 5_000);
    const [marker] = await ok(
      "alice",
      "send",
      "@bob",
      "after the cancelled one",
      "--at",
      new Date(markerAt).toISOString(),
    );
    await receiveUntil("bob", (l) => withId(l, String(marker?.id)).length > 0, "the marker", markerAt);
    expect((received.get("bob") ?? []).some((m) => m.text === "never mind")).toBe(false);
    const cancelAgain = await runVolly([...as("alice"), "scheduled", "cancel", String(doomed?.id)], env);
    expect(cancelAgain.code).toBe(4);
    expect(cancelAgain.stderr).toContain("VOLLY_E_UNKNOWN_SCHEDULED");
    for (const at of ["2020-01-01T00:00:00Z", "tomorrow", "2026-13-45T99:00"]) {
      const r = await runVolly([...as("alice"), "send", "@bob", "x", "--at", at], env);
      expect(r.code, at).toBe(2);
      expect(r.stderr).toContain("VOLLY_E_USAGE");
    }
  }, 300_000);

  it("survives a server restart between scheduling and its time, and still goes out once", async () => {
    const at = Date.now() + LEAD_MS;
    const [held] = await ok("alice", "send", "@bob", "after the restart", "--at", new Date(at).toISOString());
    const port = Number(new URL(server.url).port);
    await server.stop();
    server = await startServer(port);
    const all = await receiveUntil(
      "bob",
      (l) => withId(l, String(held?.id)).length > 0,
      "the held message",
      at,
    );
    expect(withId(all, String(held?.id))).toHaveLength(1);
  }, 300_000);

  it("a recurring schedule releases occurrence after occurrence until cancelled", async () => {
    // The series counts from its creation, during this command: its second occurrence is 6 s after.
    const twoTicksAt = Date.now() + 6_000;
    const [series] = await ok("alice", "send", "@bob", "tick", "--every", "every 3s");
    expect(series).toMatchObject({ rule: "every 3s" });
    const all = await receiveUntil(
      "bob",
      (l) => l.filter((m) => m.text === "tick").length >= 2,
      "two ticks",
      twoTicksAt,
    );
    const ticks = all.filter((m) => m.text === "tick");
    expect(new Set(ticks.map((t) => t.id)).size).toBe(ticks.length);
    await ok("alice", "scheduled", "cancel", String(series?.id));
    expect((await ok("alice", "scheduled", "list")).filter((e) => e.id === series?.id)).toEqual([]);
  }, 300_000);

  it("an epoch change while the sender is off still decrypts; one the sender saw is re-encrypted for a newcomer", async () => {
    const [group] = await ok("alice", "group", "create", "Plans", "--member", "@bob", "--member", "@carol");
    const conv = String(group?.conversationId);
    await receiveUntil("carol", (l) => l.some((m) => m.event === "membership"), "carol's join");

    // 1. Scheduled, then bob leaves and carol commits his removal (a new epoch) while alice is off.
    const firstAt = Date.now() + LEAD_MS + 10_000;
    const [first] = await ok("alice", "send", conv, "old epoch", "--at", new Date(firstAt).toISOString());
    await ok("bob", "group", "leave", conv);
    await ok("carol", "receive");

    // 2. Meanwhile (alice stays off): bob schedules in a group of his own, then adds dave himself — he
    // sees the new epoch and re-encrypts.
    const [later] = await ok("bob", "group", "create", "Later", "--member", "@carol");
    const laterId = String(later?.conversationId);
    const secondAt = Date.now() + LEAD_MS;
    const [second] = await ok(
      "bob",
      "send",
      laterId,
      "for dave too",
      "--at",
      new Date(secondAt).toISOString(),
    );
    await ok("bob", "group", "add", laterId, "@dave");

    await receiveUntil(
      "carol",
      (l) => withId(l, String(first?.id)).length > 0,
      "the old-epoch message",
      firstAt,
    );
    const daves = await receiveUntil(
      "dave",
      (l) => withId(l, String(second?.id)).length > 0,
      "dave's copy",
      secondAt,
    );
    expect(withId(daves, String(second?.id))).toEqual([expect.objectContaining({ text: "for dave too" })]);
    const carols = await receiveUntil(
      "carol",
      (l) => withId(l, String(second?.id)).length > 0,
      "carol's copy",
    );
    expect(withId(carols, String(second?.id))).toHaveLength(1);
  }, 400_000);
});
