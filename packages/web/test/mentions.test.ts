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
      { handles: ["carol", "bob"], roles: ["r1"], everyone: true },
      true,
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
