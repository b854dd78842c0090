import { ERROR_CODES, type ErrorCode } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { EXIT, exitCodeFor } from "../src/exit-codes.js";
import { parseDuration, parseNonNegativeInt, parseServerUrl } from "../src/options.js";

describe("CLI argument parsing", () => {
  it("parses durations and rejects anything else with VOLLY_E_USAGE", () => {
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    for (const bad of ["7", "d", "-1d", "1w", "1.5h", ""]) {
      expect(() => parseDuration(bad)).toThrow(expect.objectContaining({ code: "VOLLY_E_USAGE" }));
    }
  });

  it("accepts only http(s) server URLs and normalises them to their origin", () => {
    expect(parseServerUrl("http://localhost:7777/")).toBe("http://localhost:7777");
    expect(() => parseServerUrl("ftp://example")).toThrow(expect.objectContaining({ code: "VOLLY_E_USAGE" }));
    expect(() => parseServerUrl("not a url")).toThrow(expect.objectContaining({ code: "VOLLY_E_USAGE" }));
  });

  it("parses whole numbers within bounds", () => {
    expect(parseNonNegativeInt("port", "7777", 65_535)).toBe(7777);
    expect(() => parseNonNegativeInt("port", "70000", 65_535)).toThrow();
    expect(() => parseNonNegativeInt("port", "12a", 65_535)).toThrow();
  });

  it("maps every registered error code to a documented exit code", () => {
    const allowed = new Set<number>(Object.values(EXIT).filter((c) => c !== 0));
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[])
      expect(allowed.has(exitCodeFor(code))).toBe(true);
    expect(exitCodeFor("VOLLY_E_WRONG_PIN")).toBe(EXIT.auth);
    expect(exitCodeFor("VOLLY_E_UNKNOWN_HANDLE")).toBe(EXIT.notFound);
    expect(exitCodeFor("VOLLY_E_SERVER_UNREACHABLE")).toBe(EXIT.unreachable);
    expect(exitCodeFor("VOLLY_E_INVITE_EXPIRED")).toBe(EXIT.invite);
    expect(exitCodeFor("VOLLY_E_STALE_EPOCH")).toBe(EXIT.refused);
    expect(exitCodeFor("VOLLY_E_LINK_DECLINED")).toBe(EXIT.refused);
  });
});
