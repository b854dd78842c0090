import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { sendAs, setUpCliTrio } from "./helpers/cli-trio.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** One `volly search --json` hit. */
interface HitJson {
  id: string;
  conversationId: string;
  conversation: string;
  from: string;
  sentAt: number;
  time: string;
  text: string;
  score: number;
}

/**
 * `volly search QUERY [--in CONV] [--from @handle] [--json]` against a real `volly serve` process:
 * local full-text search over what the device decrypted, filtered by conversation and sender.
 */
describe("volly search", () => {
  let server: ServerProcess;
  const home = tempDir("volly-cli-search-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456"];
  let groupId = "";
  let directId = "";

  /** `volly <handle> send TARGET TEXT`, which must succeed. */
  const send = (handle: string, target: string, text: string) => sendAs(as, handle, target, text);

  /** alice's hits for these arguments, as JSON. */
  async function search(...args: string[]): Promise<HitJson[]> {
    const r = await runVolly([...as("alice"), "--json", "search", ...args]);
    expect(r.code, r.stderr).toBe(0);
    return jsonLines(r.stdout) as unknown as HitJson[];
  }

  beforeAll(async () => {
    server = await startServerProcess();
    ({ directId, groupId } = await setUpCliTrio(as, server.url));
    await send("bob", groupId, "who brings the tent?");
    await send("carol", groupId, "I have a tent and a stove");
    await send("bob", "@alice", "the tent is in my garage\nnext to the bikes");
    await send("alice", groupId, "great, tents sorted");
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("prints one line per hit, newest first: id, conversation, sender, time, text", async () => {
    const r = await runVolly([...as("alice"), "search", "tent"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    const iso = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^\\S+  \\[Weekend trip\\]  @alice  ${iso}  great, tents sorted$`)),
      expect.stringMatching(
        new RegExp(`^\\S+  \\[@bob\\]  @bob  ${iso}  the tent is in my garage next to the bikes$`),
      ),
      expect.stringMatching(
        new RegExp(`^\\S+  \\[Weekend trip\\]  @carol  ${iso}  I have a tent and a stove$`),
      ),
      expect.stringMatching(new RegExp(`^\\S+  \\[Weekend trip\\]  @bob  ${iso}  who brings the tent\\?$`)),
    ]);
  });

  it("--json prints one object per hit; --in and --from filter", async () => {
    const all = await search("tent");
    expect(all.map((h) => [h.conversation, h.from, h.text])).toEqual([
      ["Weekend trip", "alice", "great, tents sorted"],
      ["bob", "bob", "the tent is in my garage\nnext to the bikes"],
      ["Weekend trip", "carol", "I have a tent and a stove"],
      ["Weekend trip", "bob", "who brings the tent?"],
    ]);
    for (const hit of all) {
      expect(hit.time).toBe(new Date(hit.sentAt).toISOString());
      expect(hit.score).toBeGreaterThan(0);
      expect(hit.id).toMatch(/^\S+$/);
    }
    expect((await search("tent", "--in", groupId)).map((h) => h.from)).toEqual(["alice", "carol", "bob"]);
    expect((await search("tent", "--in", "@bob")).map((h) => h.conversationId)).toEqual([directId]);
    expect((await search("tent", "--from", "@bob")).map((h) => h.text)).toEqual([
      "the tent is in my garage\nnext to the bikes",
      "who brings the tent?",
    ]);
    expect((await search("tent", "--in", groupId, "--from", "@bob")).map((h) => h.text)).toEqual([
      "who brings the tent?",
    ]);
    expect(await search("tent stove", "--from", "@bob")).toEqual([]);
    // bob's own device finds the same messages of the direct conversation.
    const bob = await runVolly([...as("bob"), "--json", "search", "garage", "--in", "@alice"]);
    expect(bob.code, bob.stderr).toBe(0);
    expect((jsonLines(bob.stdout) as unknown as HitJson[]).map((h) => h.from)).toEqual(["bob"]);
  });

  it("takes filters typed in QUERY and --after/--before; delete --for-me drops a hit on this device only", async () => {
    expect((await search(`tent from:@bob in:${groupId}`)).map((h) => h.text)).toEqual([
      "who brings the tent?",
    ]);
    expect((await search("in:@bob")).map((h) => h.text)).toEqual([
      "the tent is in my garage\nnext to the bikes",
    ]);
    const all = await search("tent");
    const carols = all.find((h) => h.from === "carol");
    if (!carols) throw new Error("carol's hit");
    expect((await search("tent", "--after", carols.time)).map((h) => h.from)).toEqual([
      "alice",
      "bob",
      "carol",
    ]);
    expect((await search("tent", "--before", carols.time)).map((h) => h.from)).toEqual(["bob"]);
    expect(await search("tent", "--before", "2000-01-01")).toEqual([]);
    expect(await search("tent has:link")).toEqual([]);

    const garage = all.find((h) => h.conversationId === directId);
    if (!garage) throw new Error("the direct hit");
    const del = await runVolly([...as("alice"), "--json", "delete", "@bob", garage.id, "--for-me"]);
    expect(del.code, del.stderr).toBe(0);
    expect(jsonLines(del.stdout)).toEqual([{ deleted: garage.id, conversationId: directId, scope: "me" }]);
    expect((await search("garage")).map((h) => h.id)).toEqual([]);
    const bob = await runVolly([...as("bob"), "--json", "search", "garage"]);
    expect((jsonLines(bob.stdout) as unknown as HitJson[]).map((h) => h.id)).toEqual([garage.id]);
  });

  it("refuses bad arguments with VOLLY_E_USAGE", async () => {
    for (const args of [
      ["!!"],
      ["tent", "--from", "not a handle"],
      ["tent", "--limit", "0"],
      ["tent", "--limit", "x"],
      ["tent", "--after", "yesterday"],
      ["tent has:photo"],
    ]) {
      const r = await runVolly([...as("alice"), "--json", "search", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("VOLLY_E_USAGE");
    }
    const unknown = await runVolly([...as("alice"), "search", "tent", "--in", "@carol"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("VOLLY_E_UNKNOWN_CONVERSATION");
  });
});
