import { describe, expect, it } from "vitest";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../src/index.js";

/** Standard base64 (RFC 4648 §4, with padding) → unpadded base64url (§5). */
function toUrlAlphabet(standard: string): string {
  return standard.replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
}

// RFC 4648 §10 test vectors, plus vectors whose standard form uses '+' and '/'.
const VECTORS: Array<[Uint8Array, string]> = [
  [utf8(""), ""],
  [utf8("f"), "Zg=="],
  [utf8("fo"), "Zm8="],
  [utf8("foo"), "Zm9v"],
  [utf8("foob"), "Zm9vYg=="],
  [utf8("fooba"), "Zm9vYmE="],
  [utf8("foobar"), "Zm9vYmFy"],
  [Uint8Array.of(0xfb, 0xff), "+/8="],
  [Uint8Array.of(0xff, 0xff, 0xff), "////"],
  [Uint8Array.of(0xfb, 0xef, 0xbe), "++++"],
  [Uint8Array.of(0x00, 0x00, 0x00, 0x00), "AAAAAA=="],
];

describe("base64url (RFC 4648 §5, unpadded)", () => {
  it.each(VECTORS.map(([bytes, std]) => [fromUtf8(bytes), std, bytes] as const))(
    "RFC 4648 vector %j ↔ %s",
    (_label, standard, bytes) => {
      const expected = toUrlAlphabet(standard);
      expect(toBase64Url(bytes)).toBe(expected);
      expect(fromBase64Url(expected)).toEqual(bytes);
    },
  );

  it("round-trips random bytes of every length 0..70 and agrees with Node's encoder", () => {
    for (let length = 0; length <= 70; length++) {
      for (let trial = 0; trial < 8; trial++) {
        const bytes = new Uint8Array(length);
        globalThis.crypto.getRandomValues(bytes);
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(text.length).toBe(Math.ceil((length * 4) / 3));
        expect(text).toBe(Buffer.from(bytes).toString("base64url"));
        expect(fromBase64Url(text)).toEqual(bytes);
      }
    }
  });

  it("encodes every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toBase64Url(all)).toBe(Buffer.from(all).toString("base64url"));
    expect(fromBase64Url(toBase64Url(all))).toEqual(all);
  });

  it.each([
    "Zm9+",
    "Zm9/",
    "Zm9=",
    "Zg==",
    "Zm 9",
    "Zm9\n",
    "Zm9é",
    "Zm9!",
    "Zm\u00ff8",
    "Zm9v.A",
    "Zm9v\u0100A",
  ])("rejects the invalid character in %j", (text) => {
    expect(text.length % 4).not.toBe(1);
    expect(() => fromBase64Url(text)).toThrow(TypeError);
    expect(() => fromBase64Url(text)).toThrow(/character/);
  });

  it.each(["A", "AAAAA", "Zm9vY", "Zm9vYmFyZ"])("rejects the impossible length of %j (4n+1)", (text) => {
    expect(text.length % 4).toBe(1);
    expect(() => fromBase64Url(text)).toThrow(/length/);
  });

  it("accepts lengths 4n, 4n+2 and 4n+3", () => {
    expect(fromBase64Url("Zm9v")).toHaveLength(3);
    expect(fromBase64Url("Zm9vYg")).toHaveLength(4);
    expect(fromBase64Url("Zm9vYmE")).toHaveLength(5);
  });

  it("rejects non-canonical encodings with non-zero trailing bits (RFC 4648 §3.5)", () => {
    expect(fromBase64Url("AA")).toEqual(new Uint8Array([0]));
    expect(() => fromBase64Url("AB")).toThrow(TypeError);
    expect(() => fromBase64Url("AAB")).toThrow(TypeError);
  });
});

describe("utf8", () => {
  it("round-trips non-ASCII text", () => {
    const text = "héllo, 世界 🦜";
    expect(fromUtf8(utf8(text))).toBe(text);
    expect(utf8("é")).toEqual(Uint8Array.of(0xc3, 0xa9));
  });
});
