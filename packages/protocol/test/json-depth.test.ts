import { describe, expect, it } from "vitest";
import { jsonDepthExceeds, LIMITS, parseBoundedJson, VollyError } from "../src/index.js";

describe("JSON nesting depth (LIMITS.maxJsonDepth)", () => {
  it("counts arrays and objects, the outermost being depth 1", () => {
    expect(jsonDepthExceeds("1", 0)).toBe(false);
    expect(jsonDepthExceeds("[]", 0)).toBe(true);
    expect(jsonDepthExceeds("[]", 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds("[[],[],[[]]]", 2)).toBe(true);
    expect(jsonDepthExceeds("[[],[],[]]", 2)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes and backslashes included", () => {
    expect(jsonDepthExceeds(JSON.stringify({ a: "[[[[[[{{{{" }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify(['"[[[', "\\", '\\"[[[[']), 1)).toBe(false);
    expect(jsonDepthExceeds(`["\\\\",[[]]]`, 2)).toBe(true);
    expect(jsonDepthExceeds(`["\\"",[]]`, 1)).toBe(true);
  });

  it("refuses 50,000 nested arrays with a typed error before parsing; accepts every legitimate depth", () => {
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    let error: unknown;
    try {
      parseBoundedJson(`{"deviceIds":${deep}}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VollyError);
    expect((error as VollyError).toBody()).toMatchObject({
      code: "VOLLY_E_BAD_REQUEST",
      details: { maxDepth: LIMITS.maxJsonDepth },
    });
    const ok = `${"[".repeat(LIMITS.maxJsonDepth)}${"]".repeat(LIMITS.maxJsonDepth)}`;
    expect(parseBoundedJson(ok)).toBeInstanceOf(Array);
    expect(parseBoundedJson('{"op":12,"d":{"cursors":[{"groupId":"x","seq":1}],"welcomeIds":[]}}')).toEqual({
      op: 12,
      d: { cursors: [{ groupId: "x", seq: 1 }], welcomeIds: [] },
    });
  });

  it("leaves invalid JSON to the parser", () => {
    expect(() => parseBoundedJson('{"a":"unterminated')).toThrow(SyntaxError);
    expect(() => parseBoundedJson("]]]")).toThrow(SyntaxError);
  });
});
