import type { AttachmentPointer } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { AccountDoc } from "../src/account/account-sync/account-doc.js";

const pointer: AttachmentPointer = {
  blobId: "C".repeat(43),
  kind: "image",
  name: "avatar.webp",
  mime: "image/webp",
  size: 1000,
  ciphertextSize: 1016,
  key: "A".repeat(43),
};

describe("this account's avatar in the account document", () => {
  it("a device linked later reads the avatar noted by another, then its removal", () => {
    const [a, b] = [new AccountDoc(), new AccountDoc()];
    expect(b.ownAvatar()).toBeUndefined();
    expect(a.setOwnAvatar(pointer)).toBe(true);
    expect(a.setOwnAvatar(pointer)).toBe(false);
    Y.applyUpdate(b.ydoc, a.encodeState());
    expect(b.ownAvatar()).toEqual(pointer);
    a.setOwnAvatar(null);
    Y.applyUpdate(b.ydoc, a.encodeState());
    expect(b.ownAvatar()).toBeNull();
  });

  it("ignores a malformed entry (untrusted input) instead of using it", () => {
    for (const bad of [{ ...pointer, kind: "file" }, { ...pointer, blobId: 7 }, "x", 3]) {
      const doc = new AccountDoc();
      doc.ydoc.getMap("profile").set("avatar", bad);
      expect(doc.ownAvatar()).toBeUndefined();
    }
  });
});
