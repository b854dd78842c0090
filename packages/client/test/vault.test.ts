import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { SqliteClientStore } from "../src/storage/sqlite-client-store.js";
import { Vault } from "../src/storage/vault.js";

function freshVault(key = new Uint8Array(32).fill(7)) {
  const file = join(mkdtempSync(join(tmpdir(), "volly-vault-")), "volly.db");
  const store = new SqliteClientStore(file);
  return { file, store, vault: new Vault(store, key) };
}

describe("the local vault", () => {
  it("stores values and messages sealed: the SQLite file never holds them in the clear", async () => {
    const { file, store, vault } = freshVault();
    await vault
      .batch()
      .putJson("profile", { secret: "plain-marker-1" })
      .putMessage("m1", "c1", 1, { text: "plain-marker-2" })
      .commit();
    expect(await vault.getJson("profile")).toEqual({ secret: "plain-marker-1" });
    expect(await vault.getMessage("m1")).toEqual({ text: "plain-marker-2" });
    await store.close();
    const bytes = readFileSync(file);
    expect(bytes.includes(Buffer.from("plain-marker"))).toBe(false);
  });

  it("refuses a value moved under another key, and a vault opened with another data key", async () => {
    const { store, vault } = freshVault();
    await vault.batch().putJson("a", { v: 1 }).commit();
    const raw = await store.get("a");
    await store.commit({ puts: [{ key: "b", value: raw! }] });
    await expect(vault.getJson("b")).rejects.toMatchObject({ code: "VOLLY_E_DECRYPT_FAILED" });
    const other = new Vault(store, new Uint8Array(32).fill(9));
    await expect(other.getJson("a")).rejects.toBeInstanceOf(VollyError);
  });

  it("lists a conversation's newest messages oldest first, and values by prefix in key order", async () => {
    const { vault } = freshVault();
    const batch = vault.batch();
    for (let i = 0; i < 5; i++) batch.putMessage(`m${i}`, "c1", 100 + i, { i });
    batch.putMessage("x", "c2", 50, { i: -1 });
    batch.putJson("conv:b", 2).putJson("conv:a", 1).putJson("other", 3);
    await batch.commit();
    expect(await vault.listMessages("c1", 3)).toEqual([{ i: 2 }, { i: 3 }, { i: 4 }]);
    expect(await vault.listJson("conv:")).toEqual([
      ["conv:a", 1],
      ["conv:b", 2],
    ]);
  });

  it("applies a batch atomically: deletes and puts land together", async () => {
    const { vault } = freshVault();
    await vault.batch().putJson("outbox:1", { n: 1 }).commit();
    await vault.batch().delete("outbox:1").putJson("sent:1", { n: 1 }).commit();
    expect(await vault.getJson("outbox:1")).toBeUndefined();
    expect(await vault.getJson("sent:1")).toEqual({ n: 1 });
  });
});
