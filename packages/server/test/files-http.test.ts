import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { blobSize, GatewayOp, newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { DEFAULT_FILES } from "../src/config-files.js";
import type { HttpDevice } from "./helpers/app.js";
import { type LiveServer, liveServer } from "./helpers/live-server.js";
import { fakeCiphertext } from "./helpers/services.js";
import { fakeBlob, tusClient } from "./helpers/tus-client.js";

/** Small limits so over-limit and quota cases need no big files: 1 MiB files, 4 MiB per account. */
const FILES = { ...DEFAULT_FILES, maxUploadBytes: 1024 * 1024, storageQuotaBytes: 4 * 1024 * 1024 };

describe("encrypted files over HTTP: tus uploads, ranged downloads, SEND with blobIds", () => {
  let live: LiveServer;
  let tus: ReturnType<typeof tusClient>;
  let alice: HttpDevice;
  let bob: HttpDevice;
  let mallory: HttpDevice;
  let groupId: string;
  let otherGroupId: string;
  const blobDir = () => join(live.f.file, "..", "blobs");

  beforeAll(async () => {
    live = await liveServer({ files: FILES });
    tus = tusClient(live.base);
    [alice, bob, mallory] = await Promise.all([live.register(), live.register(), live.register()]);
    groupId = await live.createGroup(alice, [bob]);
    otherGroupId = await live.createGroup(alice, [mallory]);
  });
  afterAll(() => live?.close());

  const sendWith = (device: HttpDevice, group: string, blobIds: string[], declares = ["attachment"]) =>
    fetch(`${live.base}/v1/groups/${group}/messages`, {
      method: "POST",
      headers: { ...device.auth, "content-type": "application/json" },
      body: JSON.stringify({ messageId: newId(), epoch: 1, ciphertext: fakeCiphertext(), blobIds, declares }),
    });
  const uploaded = async (device: HttpDevice, group: string, size = 300_000) => {
    const blob = fakeBlob(size);
    const res = await tus.upload(device, group, blob.bytes, blob.blobId);
    expect(res.status, await res.clone().text()).toBe(204);
    return blob;
  };

  it("stores an upload under its hash and serves it whole and by range to members only", async () => {
    const { bytes, blobId } = await uploaded(alice, groupId);
    const whole = await tus.blob(bob, blobId);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("application/octet-stream");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("etag")).toBe(`"${blobId}"`);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

    const part = await tus.blob(bob, blobId, { range: "bytes=1000-70535" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-70535/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 70536))).toBe(true);
    const tail = await tus.blob(bob, blobId, { range: "bytes=-16" });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 16))).toBe(true);
    const past = await tus.blob(bob, blobId, { range: `bytes=${bytes.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${bytes.length}`);

    const head = await tus.blob(bob, blobId, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(bytes.length));

    // A non-member gets the same 404 as for a blob that does not exist, and no bytes.
    const refused = await tus.blob(mallory, blobId);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { code: string }).code).toBe("VOLLY_E_NOT_FOUND");
    expect((await tus.blob(bob, fakeBlob(10).blobId)).status).toBe(404);
    expect(existsSync(join(blobDir(), blobId))).toBe(true);
  });

  it("reports the limits and refuses an upload over them at creation, before any byte", async () => {
    const limits = await fetch(`${live.base}/v1/uploads/limits`, { headers: alice.auth });
    const body = (await limits.json()) as Record<string, number>;
    expect(body).toMatchObject({
      maxFileBytes: FILES.maxUploadBytes,
      maxBlobBytes: blobSize(FILES.maxUploadBytes),
      quotaBytes: FILES.storageQuotaBytes,
    });
    expect(body.usedBytes).toBeGreaterThan(0);

    const tooBig = await tus.create(alice, groupId, blobSize(FILES.maxUploadBytes) + 1, fakeBlob(1).blobId);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({
      code: "VOLLY_E_TOO_LARGE",
      details: { limit: blobSize(FILES.maxUploadBytes), size: blobSize(FILES.maxUploadBytes) + 1 },
    });
    // A non-member cannot even start an upload to the group.
    const outsider = await tus.create(mallory, groupId, 1000, fakeBlob(1).blobId);
    expect(outsider.status).toBe(404);
    const badMetadata = await fetch(`${live.base}/v1/uploads`, {
      method: "POST",
      headers: {
        ...alice.auth,
        "tus-resumable": "1.0.0",
        "upload-length": "10",
        "upload-metadata": "sha256 eA==",
      },
    });
    expect(badMetadata.status).toBe(400);
  });

  it("refuses an upload that would pass the account's quota with 507", async () => {
    const carol = await live.register();
    const group = await live.createGroup(carol, []);
    const max = blobSize(FILES.maxUploadBytes);
    const held = Math.floor(FILES.storageQuotaBytes / max);
    for (let i = 0; i < held; i++) {
      expect((await tus.create(carol, group, max, fakeBlob(1).blobId)).status).toBe(201);
    }
    const over = await tus.create(carol, group, max, fakeBlob(1).blobId);
    expect(over.status).toBe(507);
    expect(await over.json()).toMatchObject({ code: "VOLLY_E_QUOTA_EXCEEDED", details: { scope: "files" } });
  });

  it("answers 422 and keeps nothing when the bytes do not hash to the announced id", async () => {
    const claimed = fakeBlob(5000);
    const actual = fakeBlob(5000);
    const created = await tus.create(alice, groupId, actual.bytes.length, claimed.blobId);
    const location = created.headers.get("location") ?? "";
    const res = await tus.patch(alice, location, 0, actual.bytes);
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toMatchObject({
      code: "VOLLY_E_BLOB_MISMATCH",
      details: { blobId: claimed.blobId },
    });
    expect((await tus.blob(alice, claimed.blobId)).status).toBe(404);
    expect(existsSync(join(blobDir(), claimed.blobId))).toBe(false);
    const uploadId = location.split("/").pop() ?? "";
    expect(readdirSync(join(blobDir(), "uploads")).filter((name) => name.startsWith(uploadId))).toEqual([]);
    expect((await tus.head(alice, location)).status).toBe(404);
  });

  it("names an upload created without sha256 by the hash of its bytes, answered in Volly-Blob-Id", async () => {
    const { bytes, blobId } = fakeBlob(200_000);
    const created = await tus.create(alice, groupId, bytes.length);
    expect(created.status).toBe(201);
    const location = created.headers.get("location") ?? "";
    const first = await tus.patch(alice, location, 0, bytes.subarray(0, 70_000));
    expect(first.status).toBe(204);
    expect(first.headers.get("volly-blob-id")).toBeNull();
    const last = await tus.patch(alice, location, 70_000, bytes.subarray(70_000));
    expect(last.status).toBe(204);
    expect(last.headers.get("volly-blob-id")).toBe(blobId);
    // Web apps on another allowed origin may read it, like tus's own headers.
    expect(last.headers.get("access-control-expose-headers")).toContain("Volly-Blob-Id");
    const got = await tus.blob(bob, blobId);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect(existsSync(join(blobDir(), blobId))).toBe(true);
    // A client that lost the final answer learns the blob id from HEAD.
    const head = await tus.head(alice, location);
    expect(head.headers.get("upload-offset")).toBe(String(bytes.length));
    expect(head.headers.get("volly-blob-id")).toBe(blobId);
    // The same bytes again, without sha256: the existing blob stands and is the answer.
    const again = await tus.upload(alice, groupId, bytes);
    expect(again.status).toBe(204);
    expect(again.headers.get("volly-blob-id")).toBe(blobId);
    expect((await sendWith(alice, groupId, [blobId])).status).toBe(200);
  });

  it("resumes an upload after the connection drops mid-body", async () => {
    const { bytes, blobId } = fakeBlob(900_000);
    const created = await tus.create(alice, groupId, bytes.length, blobId);
    expect(created.status).toBe(201);
    const location = created.headers.get("location") ?? "";
    expect(location).toMatch(/^\/v1\/uploads\/[0-9a-f]{32}$/);
    const file = join(blobDir(), "uploads", location.split("/").pop() ?? "");
    const half = 450_000;
    const patch = tus.startPatch(alice, location, 0, bytes.length, bytes.subarray(0, half));
    await waitFor(() => statSync(file).size > 0, { message: "the first bytes on disk" });
    patch.abort();
    // Another account cannot see or continue it.
    expect((await tus.head(mallory, location)).status).toBe(404);
    let offset = 0;
    await waitFor(
      async () => {
        const head = await tus.head(alice, location);
        offset = Number(head.headers.get("upload-offset"));
        return head.status === 200 && offset > 0 && offset === statSync(file).size;
      },
      { message: "the offset after the drop" },
    );
    expect(offset).toBeLessThan(bytes.length);
    const rest = await tus.patch(alice, location, offset, bytes.subarray(offset));
    expect(rest.status).toBe(204);
    const got = await tus.blob(bob, blobId);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    // A client that lost the last answer learns from HEAD that everything arrived.
    const after = await tus.head(alice, location);
    expect(after.status).toBe(200);
    expect(after.headers.get("upload-offset")).toBe(String(bytes.length));
  });

  it("accepts a SEND pointing at complete blobs of the group, and refuses others with 409", async () => {
    const mine = await uploaded(alice, groupId, 2000);
    // mallory's blob of the group she shares with alice: alice did not upload it
    const elsewhere = await uploaded(mallory, otherGroupId, 2000);
    const unfinished = fakeBlob(3000);
    expect((await tus.create(alice, groupId, 3000, unfinished.blobId)).status).toBe(201);

    const undeclared = await sendWith(alice, groupId, [mine.blobId], []);
    expect(undeclared.status).toBe(400);
    for (const blobId of [elsewhere.blobId, unfinished.blobId, fakeBlob(1).blobId]) {
      const res = await sendWith(alice, groupId, [mine.blobId, blobId]);
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ code: "VOLLY_E_BLOB_NOT_READY", details: { blobId } });
    }
    const ok = await sendWith(alice, groupId, [mine.blobId]);
    expect(ok.status, await ok.clone().text()).toBe(200);
  });

  it("lets an uploader share its blob into its other conversations, readable there once a message points at it", async () => {
    // alice's avatar, uploaded in the group with bob
    const avatar = await uploaded(alice, groupId, 2000);
    const notYet = await tus.blob(mallory, avatar.blobId);
    expect(notYet.status).toBe(404);
    const shared = await sendWith(alice, otherGroupId, [avatar.blobId]);
    expect(shared.status, await shared.clone().text()).toBe(200);
    const got = await tus.blob(mallory, avatar.blobId);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(avatar.bytes)).toBe(true);

    // bob's blob cannot be pointed at by alice from a group it does not belong to
    const bobs = await uploaded(bob, groupId, 2000);
    const refused = await sendWith(alice, otherGroupId, [bobs.blobId]);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      code: "VOLLY_E_BLOB_NOT_READY",
      details: { blobId: bobs.blobId },
    });
    expect((await tus.blob(mallory, bobs.blobId)).status).toBe(404);
  });

  it("takes blobIds in a gateway SEND the same way: acknowledged when ready, refused with 409's code when not", async () => {
    const ready = await uploaded(alice, groupId, 2000);
    const client = await live.identified(alice);
    const frame = (blobIds: string[]) => {
      const messageId = newId();
      client.send({
        op: GatewayOp.SEND,
        d: { groupId, messageId, epoch: 1, ciphertext: fakeCiphertext(), blobIds, declares: ["attachment"] },
      });
      return messageId;
    };
    const acked = frame([ready.blobId]);
    await client.next(
      (f) => f.op === GatewayOp.SEND_ACK && (f.d as { messageId: string }).messageId === acked,
    );
    const missing = fakeBlob(1).blobId;
    const refused = frame([missing]);
    const error = await client.next(
      (f) =>
        f.op === GatewayOp.ERROR &&
        (f.d as { details?: { messageId?: string } }).details?.messageId === refused,
    );
    expect(error.d).toMatchObject({ code: "VOLLY_E_BLOB_NOT_READY", details: { blobId: missing } });
  });
});
