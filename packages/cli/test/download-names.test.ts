import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/temp-dir.js";
import { freePath, safeFileName } from "../src/download-names.js";
import { fileTypeOf } from "../src/file-types.js";

describe("volly receive --download: file names from senders", () => {
  it("keeps only a plain last segment: no traversal, no control or bidi characters, not hidden, never empty", () => {
    expect(safeFileName("../../etc/passwd")).toBe("passwd");
    expect(safeFileName("..\\..\\Windows\\win.ini")).toBe("win.ini");
    expect(safeFileName("/abs/path/photo.jpg")).toBe("photo.jpg");
    expect(safeFileName("..")).toBe("file");
    expect(safeFileName(".bashrc")).toBe("bashrc");
    expect(safeFileName("a\u0000b\u001b[31m.txt")).toBe("a_b_[31m.txt");
    expect(safeFileName("invoice\u202Efdp.exe")).toBe("invoice_fdp.exe");
    expect(safeFileName("")).toBe("file");
    expect(safeFileName(`${"x".repeat(400)}.pdf`)).toMatch(/^x{196}\.pdf$/);
  });

  it("never overwrites: an existing name, or one already chosen in this run, gets a numbered suffix", async () => {
    const dir = tempDir("volly-download-names-");
    writeFileSync(join(dir, "photo.jpg"), "old");
    const taken = new Set<string>();
    expect(await freePath(dir, "photo.jpg", taken)).toBe(join(dir, "photo (1).jpg"));
    expect(await freePath(dir, "../photo.jpg", taken)).toBe(join(dir, "photo (2).jpg"));
    expect(await freePath(dir, "notes", taken)).toBe(join(dir, "notes"));
    expect(await freePath(dir, "notes", taken)).toBe(join(dir, "notes (1)"));
  });

  it("volly send --file: the type and kind from the extension", () => {
    expect(fileTypeOf("IMG_1.JPG")).toEqual({ mime: "image/jpeg", kind: "image" });
    expect(fileTypeOf("clip.mp4")).toEqual({ mime: "video/mp4", kind: "video" });
    expect(fileTypeOf("voice.ogg")).toEqual({ mime: "audio/ogg", kind: "file" });
    expect(fileTypeOf("README")).toEqual({ mime: "application/octet-stream", kind: "file" });
  });
});
