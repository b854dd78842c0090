import { describe, expect, it } from "vitest";
import {
  fromBase64Url,
  HANDLE_PATTERN,
  ID_PATTERN,
  Id,
  isValidHandle,
  matches,
  newId,
} from "../src/index.js";

describe("newId", () => {
  it("is 22 base64url characters encoding 128 bits", () => {
    for (let i = 0; i < 100; i++) {
      const id = newId();
      expect(id).toMatch(new RegExp(ID_PATTERN));
      expect(id).toHaveLength(22);
      expect(fromBase64Url(id)).toHaveLength(16);
      expect(matches(Id, id)).toBe(true);
    }
  });

  it("does not repeat over 10,000 draws", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(newId());
    expect(ids.size).toBe(10_000);
  });

  it("never starts with '-', so an id pasted on a command line is not read as an option", () => {
    // 1 in 64 raw draws starts with '-': 10,000 draws would show ~156 of them.
    const first = new Set<string>();
    for (let i = 0; i < 10_000; i++) first.add(newId()[0] ?? "");
    expect(first.has("-")).toBe(false);
    expect(first.size).toBe(63);
  });
});

describe("isValidHandle", () => {
  it.each(["abc", "alice", "bob_42", "a.b-c", "0day", "x".repeat(32), "a12", "agent.gpt-5"])(
    "accepts %j",
    (handle) => {
      expect(isValidHandle(handle)).toBe(true);
      expect(handle).toMatch(new RegExp(HANDLE_PATTERN));
    },
  );

  it.each([
    ["too short", "ab"],
    ["empty", ""],
    ["too long", "x".repeat(33)],
    ["uppercase", "Alice"],
    ["leading underscore", "_alice"],
    ["leading dot", ".alice"],
    ["leading dash", "-alice"],
    ["space", "al ice"],
    ["at sign", "@alice"],
    ["non-ASCII", "alicé"],
    ["trailing newline", "alice\n"],
    ["slash", "al/ice"],
  ])("rejects a handle that is %s (%j)", (_why, handle) => {
    expect(isValidHandle(handle)).toBe(false);
  });
});
