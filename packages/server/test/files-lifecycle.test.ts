import { existsSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIMITS, newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { DEFAULT_FILES } from "../src/config-files.js";
import type { HttpDevice } from "./helpers/app.js";
import { liveServer } from "./helpers/live-server.js";
import { fakeCiphertext } from "./helpers/services.js";
import { fakeBlob, tusClient } from "./helpers/tus-client.js";

/** Shared by the lifecycle suites: an app whose blob expiry job runs every 100 ms. */
async function filesServer(overrides: { uploadExpiryMs?: number; retentionMs?: number }) {
  const live = await liveServer({
    files: { ...DEFAULT_FILES, uploadExpiryMs: overrides.uploadExpiryMs ?? DEFAULT_FILES.uploadExpiryMs },
    pruneIntervalMs: 100,
    ...(overrides.retentionMs !== undefined ? { retentionMs: overrides.retentionMs } : {}),
  });
  const tus = tusClient(live.base);
  const blobDir = join(live.f.file, "..", "blobs");
  const send = async (device: HttpDevice, groupId: string, blobIds: string[], epoch = 1) => {
    const messageId = newId();
    const res = await fetch(`${live.base}/v1/groups/${groupId}/messages`, {
      method: "POST",
      headers: { ...device.auth, "content-type": "application/json" },
      body: JSON.stringify({
        messageId,
        epoch,
        ciphertext: fakeCiphertext(),
        blobIds,
        declares: ["attachment"],
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return messageId;
  };
  const upload = async (device: HttpDevice, groupId: string) => {
    const blob = fakeBlob(20_000);
    expect((await tus.upload(device, groupId, blob.bytes, blob.blobId)).status).toBe(204);
    return blob.blobId;
  };
  /** True once the blob is neither served nor on disk. */
  const gone = async (device: HttpDevice, blobId: string) =>
    (await tus.blob(device, blobId, { method: "HEAD" })).status === 404 && !existsSync(join(blobDir, blobId));
  return { live, tus, blobDir, send, upload, gone };
}

describe("blob lifecycle: removal with messages, expiry of unfinished and unsent uploads", () => {
  let s: Awaited<ReturnType<typeof filesServer>>;
  let alice: HttpDevice;
  let bob: HttpDevice;
  let groupId: string;
  beforeAll(async () => {
    s = await filesServer({ uploadExpiryMs: 2500 });
    [alice, bob] = await Promise.all([s.live.register(), s.live.register()]);
    groupId = await s.live.createGroup(alice, [bob]);
  });
  afterAll(() => s?.live.close());

  const deleteForEveryone = async (device: HttpDevice, messageId: string) => {
    const res = await fetch(`${s.live.base}/v1/groups/${groupId}/messages/${messageId}`, {
      method: "DELETE",
      headers: device.auth,
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };

  it("removes a blob with the last message pointing at it deleted for everyone", async () => {
    const blobId = await s.upload(alice, groupId);
    const first = await s.send(alice, groupId, [blobId]);
    const second = await s.send(alice, groupId, [blobId]);
    await deleteForEveryone(alice, first);
    expect((await s.tus.blob(bob, blobId)).status).toBe(200);
    await deleteForEveryone(alice, second);
    expect(await s.gone(bob, blobId)).toBe(true);
  });

  it("streams an upload past the JSON body limit in one PATCH, and a download of it back", async () => {
    const { bytes, blobId } = fakeBlob(LIMITS.maxRequestBodyBytes + 1024 * 1024);
    expect((await s.tus.upload(alice, groupId, bytes, blobId)).status).toBe(204);
    await s.send(alice, groupId, [blobId]);
    const got = await s.tus.blob(bob, blobId);
    expect(got.headers.get("content-length")).toBe(String(bytes.length));
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("removes unfinished uploads and never-sent blobs after the expiry, and stray upload files; sent blobs stay", async () => {
    const usedBytes = async () => {
      const limits = await fetch(`${s.live.base}/v1/uploads/limits`, { headers: alice.auth });
      return ((await limits.json()) as { usedBytes: number }).usedBytes;
    };
    const usedBefore = await usedBytes();
    const sent = await s.upload(alice, groupId);
    await s.send(alice, groupId, [sent]);
    const unsent = await s.upload(alice, groupId);
    const partial = fakeBlob(50_000);
    const created = await s.tus.create(alice, groupId, partial.bytes.length, partial.blobId);
    const location = created.headers.get("location") ?? "";
    expect((await s.tus.patch(alice, location, 0, partial.bytes.subarray(0, 10_000))).status).toBe(204);
    const uploadId = location.split("/").pop() ?? "";
    // A file no row knows (a node died between writing it and recording it), long untouched.
    const stray = "0123456789abcdef0123456789abcdef";
    writeFileSync(join(s.blobDir, "uploads", stray), "x");
    utimesSync(join(s.blobDir, "uploads", stray), new Date(0), new Date(0));

    const uploadsLeft = () =>
      readdirSync(join(s.blobDir, "uploads")).filter((n) => n.startsWith(uploadId) || n === stray);
    await waitFor(async () => (await s.gone(alice, unsent)) && uploadsLeft().length === 0, {
      message: "the expired upload and the unsent blob removed",
    });
    expect((await s.tus.head(alice, location)).status).toBe(404);
    expect((await s.tus.blob(bob, sent)).status).toBe(200);
    expect(await usedBytes()).toBe(usedBefore + 20_000);
  });

  it("drops uploads terminated by their owner (finished ones until sent), and removes blobs of a group everyone left", async () => {
    const partial = fakeBlob(30_000);
    const created = await s.tus.create(bob, groupId, partial.bytes.length, partial.blobId);
    const location = created.headers.get("location") ?? "";
    expect((await s.tus.terminate(alice, location)).status).toBe(404);
    expect((await s.tus.terminate(bob, location)).status).toBe(204);
    expect((await s.tus.head(bob, location)).status).toBe(404);
    // A finished upload: removed by its owner while no message points at it, kept once one does.
    const finished = async () => {
      const blob = fakeBlob(4000);
      const created = await s.tus.create(bob, groupId, blob.bytes.length, blob.blobId);
      const at = created.headers.get("location") ?? "";
      expect((await s.tus.patch(bob, at, 0, blob.bytes)).status).toBe(204);
      return { at, blobId: blob.blobId };
    };
    const unsent = await finished();
    expect((await s.tus.terminate(bob, unsent.at)).status).toBe(204);
    expect(await s.gone(bob, unsent.blobId)).toBe(true);
    const sent = await finished();
    await s.send(bob, groupId, [sent.blobId]);
    expect((await s.tus.terminate(bob, sent.at)).status).toBe(404);
    expect((await s.tus.blob(alice, sent.blobId)).status).toBe(200);

    const carol = await s.live.register();
    const lonely = await s.live.createGroup(carol, []);
    const blobId = await s.upload(carol, lonely);
    await s.send(carol, lonely, [blobId], 0);
    expect((await s.live.leave(carol, lonely)).statusCode).toBe(200);
    await waitFor(() => s.gone(carol, blobId), { message: "the blob of the emptied group removed" });
  });
});

describe("blob lifecycle: message retention", () => {
  let s: Awaited<ReturnType<typeof filesServer>>;
  beforeAll(async () => {
    s = await filesServer({ retentionMs: 1500 });
  });
  afterAll(() => s?.live.close());

  it("removes a blob once the messages pointing at it are past retention", async () => {
    const [alice, bob] = await Promise.all([s.live.register(), s.live.register()]);
    const groupId = await s.live.createGroup(alice, [bob]);
    const blobId = await s.upload(alice, groupId);
    await s.send(alice, groupId, [blobId]);
    expect((await s.tus.blob(bob, blobId)).status).toBe(200);
    await waitFor(() => s.gone(bob, blobId), { message: "the blob past retention removed" });
  });
});
