import { createHash, randomBytes } from "node:crypto";
import { VollyError } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BlobUpload,
  UPLOAD_CHUNK_BYTES,
  uploadBlob,
} from "../../packages/client/src/attachments/tus-upload.js";
import type { HttpApi } from "../../packages/client/src/transport/http-api.js";
import type { HttpDevice } from "../../packages/server/test/helpers/app.js";
import { type LiveServer, liveServer } from "../../packages/server/test/helpers/live-server.js";
import { waitFor } from "../helpers/wait-for.js";

const blobIdOf = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64url");

/** The transport `uploadBlob` uses, for a device signed in over HTTP (its bearer token as is). */
function apiOf(base: string, device: HttpDevice): HttpApi {
  const api = {
    baseUrl: base,
    bearer: async () => device.token,
    fetchWithSession: (path: string, init: RequestInit) =>
      fetch(new URL(path, base), { ...init, headers: { ...device.auth } }),
  };
  return api as unknown as HttpApi;
}

/** Passes over `bytes` in 64 KiB pieces, counted. */
function passesOver(bytes: Uint8Array) {
  let opened = 0;
  const open = async function* () {
    opened++;
    for (let at = 0; at < bytes.length; at += 65_536) yield bytes.slice(at, at + 65_536);
  };
  return { open, opened: () => opened };
}

/**
 * The SDK's tus upload against a real server: one pass over the ciphertext, hashed on the way, the
 * blob named by the server's hash (`Volly-Blob-Id`) and checked against the client's; jobs of
 * earlier versions still declare their blob id.
 */
describe("uploadBlob: one pass, the blob id hashed while uploading", () => {
  let live: LiveServer;
  let alice: HttpDevice;
  let groupId: string;
  let job: (bytes: Uint8Array, extra?: Partial<BlobUpload>) => BlobUpload & { opened: () => number };

  beforeAll(async () => {
    live = await liveServer();
    alice = await live.register();
    groupId = await live.createGroup(alice, []);
    job = (bytes, extra = {}) => {
      const passes = passesOver(bytes);
      return {
        api: apiOf(live.base, alice),
        conversationId: groupId,
        size: bytes.length,
        open: passes.open,
        opened: passes.opened,
        onUrl: async () => undefined,
        onProgress: () => undefined,
        ...extra,
      };
    };
  });
  afterAll(() => live?.close());

  const download = async (blobId: string) => {
    const res = await fetch(`${live.base}/v1/blobs/${blobId}`, { headers: alice.auth });
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };

  it("uploads in one pass and resolves with the SHA-256 of the bytes, under which the server stores them", async () => {
    const bytes = randomBytes(UPLOAD_CHUNK_BYTES + 300_000);
    const upload = job(bytes);
    const blobId = await uploadBlob(upload);
    expect(blobId).toBe(blobIdOf(bytes));
    expect(upload.opened()).toBe(1);
    expect((await download(blobId)).equals(bytes)).toBe(true);
  });

  it("resumed from the server's offset with other bytes (the file changed): VOLLY_E_BLOB_MISMATCH", async () => {
    const first = randomBytes(UPLOAD_CHUNK_BYTES + 300_000);
    const abort = new AbortController();
    let url: string | undefined;
    const started = job(first, {
      signal: abort.signal,
      onUrl: async (u) => {
        url = u;
      },
      onProgress: (sent) => {
        if (sent >= UPLOAD_CHUNK_BYTES) abort.abort();
      },
    });
    await expect(uploadBlob(started)).rejects.toMatchObject({ name: "AbortError" });
    expect(url).toBeDefined();
    // The aborted request may still be landing: wait until the server holds part of it.
    await waitFor(
      async () => {
        const head = await fetch(new URL(url ?? "", live.base), {
          method: "HEAD",
          headers: { ...alice.auth, "tus-resumable": "1.0.0" },
        });
        const offset = Number(head.headers.get("upload-offset"));
        return offset > 0 && offset < first.length;
      },
      { message: "part of the upload on the server" },
    );

    // The new run hashes the bytes before the offset (never sent again) and the rest it sends.
    const changed = randomBytes(first.length);
    const resumed = job(changed, { uploadUrl: url ?? "" });
    const err = await uploadBlob(resumed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VollyError);
    // The server's blob is the first bytes up to the offset, then the changed ones: neither file.
    const named = (err as VollyError).details?.blobId;
    expect(err).toMatchObject({ code: "VOLLY_E_BLOB_MISMATCH" });
    expect(named).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([blobIdOf(first), blobIdOf(changed)]).not.toContain(named);
    expect(resumed.opened()).toBe(1);
  });

  it("declares the blob id of a job saved by an earlier version: checked by the server, not sent again once held", async () => {
    const bytes = randomBytes(100_000);
    const declared = job(bytes, { blobId: blobIdOf(bytes) });
    expect(await uploadBlob(declared)).toBe(blobIdOf(bytes));
    expect((await download(blobIdOf(bytes))).equals(bytes)).toBe(true);
    const again = job(bytes, { blobId: blobIdOf(bytes) });
    expect(await uploadBlob(again)).toBe(blobIdOf(bytes));
    expect(again.opened()).toBe(0);

    const wrong = job(randomBytes(100_000), { blobId: blobIdOf(randomBytes(8)) });
    await expect(uploadBlob(wrong)).rejects.toMatchObject({ code: "VOLLY_E_BLOB_MISMATCH" });
  });
});
