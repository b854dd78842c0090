import { describe, expect, it } from "vitest";
import {
  applyMention,
  type MentionCandidate,
  matchingCandidates,
  mentionMarks,
  mentionQueryAt,
  mentionSegments,
} from "../src/lib/mentions.js";

const candidate = (insert: string, label: string, kind: MentionCandidate["kind"] = "member") => ({
  key: insert,
  insert,
  label,
  detail: `@${insert}`,
  kind,
});

describe("web mentions: the composer's @ query", () => {
  it("finds the @ being typed at the caret (start of text or after a space), not in an address", () => {
    expect(mentionQueryAt("hi @ca", 6)).toEqual({ start: 3, query: "ca" });
    expect(mentionQueryAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQueryAt("mail me@ca", 10)).toBeUndefined();
    expect(mentionQueryAt("hi @carol done", 14)).toBeUndefined();
  });

  it("takes one more @ for another server's account, not a third", () => {
    expect(mentionQueryAt("hi @carol@b.ex", 14)).toEqual({ start: 3, query: "carol@b.ex" });
    expect(mentionQueryAt("@carol@", 7)).toEqual({ start: 0, query: "carol@" });
    expect(mentionQueryAt("@carol@b@c", 10)).toBeUndefined();
    const all = [candidate("carol@b.example", "Carol B"), candidate("carol", "Carol A")];
    expect(matchingCandidates(all, "carol@b").map((c) => c.insert)).toEqual(["carol@b.example"]);
    expect(applyMention("hi @carol@b", { start: 3, query: "carol@b" }, "carol@b.example")).toEqual({
      text: "hi @carol@b.example ",
      caret: 20,
    });
  });

  it("matches by the inserted name or a word of the label, and replaces the query", () => {
    const all = [
      candidate("carol.web", "Carol Web"),
      candidate("bob", "Bob Stone"),
      candidate("Mods", "Mods", "role"),
    ];
    expect(matchingCandidates(all, "st").map((c) => c.insert)).toEqual(["bob"]);
    expect(matchingCandidates(all, "MO").map((c) => c.insert)).toEqual(["Mods"]);
    expect(matchingCandidates(all, "").length).toBe(3);
    expect(applyMention("hi @ca, then", { start: 3, query: "ca" }, "carol.web")).toEqual({
      text: "hi @carol.web , then",
      caret: 14,
    });
  });
});

describe("web mentions: highlighting", () => {
  it("marks the tokens the structured mentions name, mine apart, whole tokens in any case", () => {
    const marks = mentionMarks(
      {
        mentions: { handles: ["carol", "bob"], roles: ["r1"], everyone: true },
        mentionsMe: true,
        from: "dan",
      },
      { handle: "carol", roleIds: [] },
      [{ roleId: "r1", name: "core team" }],
    );
    expect(Object.fromEntries(marks)).toEqual({
      carol: "me",
      bob: "other",
      "core team": "other",
      everyone: "me",
    });
    expect(mentionSegments("@Carol and @core team, @bobby @everyone", marks)).toEqual([
      { text: "@Carol", mark: "me" },
      { text: " and " },
      { text: "@core team", mark: "other" },
      { text: ", @bobby " },
      { text: "@everyone", mark: "me" },
    ]);
    expect(mentionSegments("plain", new Map())).toEqual([{ text: "plain" }]);
  });
});

describe("web mentions across servers", () => {
  const me = { handle: "alice", servers: ["a.example"] };

  it("reads a bare handle from another server's sender as that server's account, not me", () => {
    const marks = mentionMarks(
      { mentions: { handles: ["alice", "carol@c.example"] }, mentionsMe: false, from: "bob@b.example" },
      me,
    );
    expect(Object.fromEntries(marks)).toEqual({
      alice: "other",
      "alice@b.example": "other",
      "carol@c.example": "other",
    });
  });

  it("marks me when another server's sender names me qualified, and a local sender's @me@my-server", () => {
    const remote = mentionMarks(
      { mentions: { handles: ["alice@a.example"] }, mentionsMe: true, from: "bob@b.example" },
      me,
    );
    expect(Object.fromEntries(remote)).toEqual({ "alice@a.example": "me" });
    // A local sender wrote `@alice@a.example`: its client carried it bare.
    const local = mentionMarks({ mentions: { handles: ["alice"] }, mentionsMe: true, from: "dan" }, me);
    expect(Object.fromEntries(local)).toEqual({ alice: "me", "alice@a.example": "me" });
    expect(mentionSegments("hi @Alice@A.example!", local)).toEqual([
      { text: "hi " },
      { text: "@Alice@A.example", mark: "me" },
      { text: "!" },
    ]);
  });

  it("does not highlight @alice inside @alice@b.example, @alice.b or a longer server name", () => {
    const marks = new Map([
      ["alice", "me" as const],
      ["bob@b.example", "other" as const],
    ]);
    expect(
      mentionSegments("@alice@b.example @alice.b @bob@b.example.org @bob@b.example:8443", marks),
    ).toEqual([{ text: "@alice@b.example @alice.b @bob@b.example.org @bob@b.example:8443" }]);
    expect(mentionSegments("@alice. @bob@b.example: ok", marks)).toEqual([
      { text: "@alice", mark: "me" },
      { text: ". " },
      { text: "@bob@b.example", mark: "other" },
      { text: ": ok" },
    ]);
  });
});
