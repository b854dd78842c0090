import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines, runVolly, startDeviceLink } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

type Line = Record<string, unknown>;

/**
 * A recurring schedule across the devices of one account — a real `volly serve` process and the
 * real CLI. alice's first device ("alice") schedules `every 1s` (the test-only rule, enabled by
 * VOLLY_DEV_SCHEDULE_SECONDS=1) and never runs again; her second device ("laptop") lists it with
 * its rule and text (the definition came through the account document), keeps it going (the
 * server releases more occurrences than the first device ever held, none twice), and cancels it,
 * which stops it on both devices.
 */
describe("recurring schedules on every device of the account", () => {
  let server: ServerProcess;
  const data = tempDir("volly-scheduled-devices-data-");
  const home = tempDir("volly-cli-scheduled-devices-");
  const env = { VOLLY_DEV_SCHEDULE_SECONDS: "1" };
  const as = (profile: string) => ["--profile", join(home, profile), "--pin", "123456", "--json"];
  const bobs: Line[] = [];

  async function ok(profile: string, ...args: string[]): Promise<Line[]> {
    const r = await runVolly([...as(profile), ...args], env);
    expect(r.code, `${profile} ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  }
  /** bob's `volly receive` until `done` holds for everything he received; `between` runs before each. */
  async function bobReceivesUntil(done: (all: Line[]) => boolean, message: string, between?: () => unknown) {
    await waitFor(
      async () => {
        await between?.();
        bobs.push(...(await ok("bob", "receive")));
        return done(bobs);
      },
      { timeoutMs: 120_000, intervalMs: 100, message },
    );
  }
  const ticks = () => bobs.filter((m) => m.text === "tick");

  beforeAll(async () => {
    server = await startServerProcess(data, 0, { VOLLY_SCHEDULED_POLL_MS: "200" });
    await Promise.all(
      ["alice", "bob"].map((handle) => ok(handle, "init", "--server", server.url, "--handle", handle)),
    );
    const invite = await ok("alice", "invite");
    await ok("bob", "accept", String(invite[0]?.link));
    const running = startDeviceLink(as("alice"), ["--no-history"]);
    await ok("laptop", "init", "--link", await running.code, "--device-name", "laptop");
    const linked = await running.done;
    expect(linked.code, linked.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("the second device lists, keeps releasing and cancels the first device's schedule", async () => {
    const [series] = await ok("alice", "send", "@bob", "tick", "--every", "every 1s");
    const id = String(series?.id);
    // From here on the first device is off.

    const listed = await ok("laptop", "scheduled", "list");
    expect(listed).toEqual([expect.objectContaining({ id, rule: "every 1s", text: "tick" })]);

    // The first device held at most a horizon (7) plus what its own sync topped up while it ran;
    // twice the horizon released means the laptop topped the series up.
    await bobReceivesUntil(
      () => ticks().length >= 14,
      "fourteen ticks",
      () => ok("laptop", "receive"),
    );
    expect(new Set(ticks().map((t) => t.id)).size).toBe(ticks().length);
    expect(ticks().every((t) => t.from === "alice")).toBe(true);

    await ok("laptop", "scheduled", "cancel", id);
    expect(await ok("laptop", "scheduled", "list")).toEqual([]);
    // The first device comes back: it learns of the cancel and neither lists nor revives it.
    await ok("alice", "receive");
    expect(await ok("alice", "scheduled", "list")).toEqual([]);
    expect(await ok("laptop", "scheduled", "list")).toEqual([]);

    // Nothing of the series is held any more: what bob gets after a marker is the marker only.
    await ok("laptop", "send", "@bob", "marker");
    await bobReceivesUntil((all) => all.some((m) => m.text === "marker"), "the marker");
    const before = ticks().length;
    await ok("alice", "send", "@bob", "marker 2");
    await bobReceivesUntil((all) => all.some((m) => m.text === "marker 2"), "the second marker");
    expect(ticks().length).toBe(before);
  }, 300_000);
});
