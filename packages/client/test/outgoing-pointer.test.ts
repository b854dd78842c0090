import { blobSize, fromBase64Url, VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { pendingPointer } from "../src/attachments/outgoing-pointer.js";

const key = new Uint8Array(32).fill(7);
const base = { source: new Uint8Array(0), name: "a.bin", mime: "application/octet-stream" };

function usage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(VollyError);
    expect((err as VollyError).code).toBe("VOLLY_E_USAGE");
    return (err as VollyError).message;
  }
  throw new Error("accepted");
}

describe("the pointer of an outgoing file, checked before anything is read", () => {
  it("carries the key, the sizes and the caller's previews; kind defaults to file", () => {
    const p = pendingPointer(
      { ...base, kind: "voice", durationMs: 1200, waveform: new Uint8Array([0, 128, 255]), alt: "" },
      1000,
      key,
    );
    expect(p).toEqual({
      kind: "voice",
      key: expect.any(String),
      size: 1000,
      ciphertextSize: blobSize(1000),
      name: "a.bin",
      mime: "application/octet-stream",
      durationMs: 1200,
      waveform: "AID_",
    });
    expect(fromBase64Url(p.key)).toEqual(key);
    expect(pendingPointer(base, 0, key).kind).toBe("file");
  });

  it("refuses what receivers could not take: names, types, kinds, oversized thumbnails and waveforms", () => {
    usage(() => pendingPointer({ ...base, name: "" }, 1, key));
    usage(() => pendingPointer({ ...base, name: "x".repeat(256) }, 1, key));
    usage(() => pendingPointer({ ...base, mime: "not a type" }, 1, key));
    usage(() => pendingPointer({ ...base, kind: "sticker" as "file" }, 1, key));
    expect(usage(() => pendingPointer({ ...base, thumbnail: new Uint8Array(6 * 1024 + 1) }, 1, key))).toMatch(
      /thumbnail/,
    );
    expect(usage(() => pendingPointer({ ...base, waveform: new Uint8Array(101) }, 1, key))).toMatch(
      /waveform/,
    );
    usage(() => pendingPointer({ ...base, width: 0, height: 10 }, 1, key));
  });
});
