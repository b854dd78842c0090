import { describe, expect, it } from "vitest";
import { parseRange } from "../src/http/blob-download.js";
import { parseUploadMetadata } from "../src/services/blobs/upload-admission.js";

describe("parseRange (RFC 9110 §14: one byte range of a blob)", () => {
  it.each([
    [undefined, undefined],
    ["bytes=0-99", { start: 0, end: 99 }],
    ["bytes=10-", { start: 10, end: 999 }],
    ["bytes=-100", { start: 900, end: 999 }],
    ["bytes=-5000", { start: 0, end: 999 }],
    ["bytes=990-5000", { start: 990, end: 999 }],
    ["bytes=1000-", "unsatisfiable"],
    ["bytes=-0", "unsatisfiable"],
    ["bytes=0-1,5-6", undefined],
    ["items=0-1", undefined],
    ["bytes=5-1", undefined],
    ["bytes=-", undefined],
  ])("%s of 1000 bytes → %j", (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});

describe("parseUploadMetadata (tus Upload-Metadata)", () => {
  it("decodes base64 values and keys without a value", () => {
    expect(parseUploadMetadata("conversation YWJj,sha256 eHl6, flag")).toEqual({
      conversation: "abc",
      sha256: "xyz",
      flag: "",
    });
  });
  it.each(["a YQ==,a YQ==", "a not*base64", "a YQ== extra", ""])("refuses %j", (header) => {
    expect(() => parseUploadMetadata(header)).toThrow(
      expect.objectContaining({ code: "VOLLY_E_BAD_REQUEST" }),
    );
  });
});
