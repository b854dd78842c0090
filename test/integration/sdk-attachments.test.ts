import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MessageRecord, OutgoingAttachment, VollyClient } from "@volly/client";
import { type AttachmentPointer, VollyError } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { linkDevice as linkSdkDevice, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";

/** The server's largest file in these tests (plaintext bytes). */
const LIMIT = 4 * 1024 * 1024;

/** Byte-for-byte equality (vitest's deep equality of megabyte buffers takes seconds). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.length), expected)).toBe(0);
}

/** Every file under `dir` (recursively), as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((p) =>
    statSync(join(dir, p)).isFile(),
  );
}

/** A stream read to its end. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  return Buffer.concat(parts);
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<VollyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VollyError);
  return err as VollyError;
}

/**
 * Files against a real `volly serve` process: every kind sent by one person and received on both
 * devices of both people, identical bytes everywhere; a device linked later gets the pointers in
 * the history hand-over; a tampered blob, an oversized file, a deleted message; an upload whose
 * connection drops halfway resumes from the server's offset.
 */
describe("files: send, receive, open and download, on a server process, two people × two devices", () => {
  let server: ServerProcess;
  let proxy: TcpProxy;
  const home = tempDir("volly-sdk-files-");
  const open: VollyClient[] = [];

  /** Links a second device to `owner`'s account (its conversations are handed over), connected. */
  async function linkDevice(owner: VollyClient, name: string): Promise<VollyClient> {
    const device = await linkSdkDevice(owner, home, name);
    open.push(device);
    return device;
  }

  async function messageOn(client: VollyClient, conversationId: string, id: string): Promise<MessageRecord> {
    let found: MessageRecord | undefined;
    await waitFor(
      async () => {
        found = (await client.messaging.history(conversationId, 1_000)).find((m) => m.id === id);
        return (found?.attachments?.length ?? 0) > 0;
      },
      { timeoutMs: 60_000, message: `${client.profile.handle}/${client.profile.deviceId} has message ${id}` },
    );
    return found as MessageRecord;
  }

  let alice: VollyClient;
  let bob: VollyClient;
  /** alice's friend whose device talks to the server through the proxy. */
  let carol: VollyClient;
  let convId: string;

  beforeAll(async () => {
    server = await startServerProcess(tempDir(), 0, { VOLLY_MAX_UPLOAD_BYTES: String(LIMIT) });
    proxy = await startTcpProxy(server.url);
    alice = await newClient(home, server.url, "alice");
    bob = await newClient(home, server.url, "bob");
    open.push(alice, bob);
    await Promise.all([alice.connect(), bob.connect()]);
    convId = (await alice.resolveConversation("@bob")).id;
    await waitFor(async () => (await bob.conversations.list()).some((c) => c.id === convId), {
      timeoutMs: 30_000,
      message: "bob has the conversation",
    });
  });
  afterAll(async () => {
    proxy?.release();
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    await proxy?.close();
    await server?.stop();
  });

  it("a file, an image, a video and a voice message reach both devices of both people byte for byte; a device linked later downloads them from the hand-over", async () => {
    const aliceLaptop = await linkDevice(alice, "alice-laptop");
    const bobLaptop = await linkDevice(bob, "bob-laptop");
    for (const c of [aliceLaptop, bobLaptop]) {
      await waitFor(async () => (await c.conversations.list()).some((x) => x.id === convId), {
        timeoutMs: 60_000,
        message: "linked devices have the conversation",
      });
    }
    const bytes = {
      file: randomBytes(200_000),
      image: randomBytes(70_000),
      video: randomBytes(300_000),
      voice: randomBytes(20_000),
    };
    const imagePath = join(home, "photo.webp");
    writeFileSync(imagePath, bytes.image);
    const files: OutgoingAttachment[] = [
      { source: new Uint8Array(bytes.file), name: "report.pdf", mime: "application/pdf" },
      {
        source: { path: imagePath },
        name: "photo.webp",
        mime: "image/webp",
        kind: "image",
        width: 640,
        height: 480,
        alt: "a beach at dusk",
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        thumbnail: new Uint8Array(randomBytes(1_000)),
      },
      {
        source: new Blob([bytes.video]),
        name: "clip.mp4",
        mime: "video/mp4",
        kind: "video",
        width: 1280,
        height: 720,
        durationMs: 4_000,
      },
      {
        source: new Uint8Array(bytes.voice),
        name: "voice.ogg",
        mime: "audio/ogg",
        kind: "voice",
        durationMs: 2_500,
        waveform: new Uint8Array(randomBytes(100)),
      },
    ];
    const progress: number[] = [];
    alice.attachments.progress.add((p) => progress.push(p.sentBytes / p.totalBytes));

    const queued = await alice.attachments.send(convId, files, { text: "holiday" });
    expect(queued.status).toBe("pending");
    expect(queued.upload?.state).toBe("uploading");
    expect(queued.attachments).toBeUndefined();
    const sent = await alice.attachments.whenSent(queued.id);
    expect(sent.status).not.toBe("pending");
    expect(sent.upload).toBeUndefined();
    expect(sent.attachments?.map((a) => a.kind)).toEqual(["file", "image", "video", "voice"]);
    expect(progress.at(-1)).toBe(1);

    const expected = [bytes.file, bytes.image, bytes.video, bytes.voice];
    for (const device of [alice, aliceLaptop, bob, bobLaptop]) {
      const m = await messageOn(device, convId, sent.id);
      expect(m.body).toMatchObject({ type: "text", text: "holiday" });
      const [file, image, video, voice] = m.attachments as AttachmentPointer[];
      expect(image).toMatchObject({ name: "photo.webp", width: 640, height: 480, alt: "a beach at dusk" });
      expect(video).toMatchObject({ durationMs: 4_000 });
      expect(voice?.waveform).toBeDefined();
      expect(file?.size).toBe(200_000);
      for (const [i, pointer] of (m.attachments ?? []).entries()) {
        expectSameBytes(await device.attachments.download(pointer), expected[i] as Buffer);
      }
    }

    // A range of the video (across chunk boundaries) without the rest of it; the whole file as a stream.
    const onBob = await messageOn(bob, convId, sent.id);
    const video = onBob.attachments?.[2] as AttachmentPointer;
    expectSameBytes(
      await readAll(bob.attachments.open(video, { start: 70_000, end: 200_000 })),
      bytes.video.subarray(70_000, 200_000),
    );
    expectSameBytes(await readAll(bob.attachments.open(video)), bytes.video);
    const saved = join(home, "saved.mp4");
    await bob.attachments.saveTo(video, saved);
    expectSameBytes(readFileSync(saved), bytes.video);

    // The gallery (newest first, by kind) and search's has:file.
    const gallery = await bob.attachments.gallery(convId, { kinds: ["image", "video"] });
    expect(gallery.map((g) => g.attachment.name)).toEqual(["photo.webp", "clip.mp4"]);
    expect((await bob.search.messages("has:file")).map((h) => h.message.id)).toContain(sent.id);

    // A caption is optional: an empty text travels with files only.
    const bare = await alice.attachments.whenSent(
      (
        await alice.attachments.send(convId, [
          { source: new Uint8Array([1, 2, 3]), name: "tiny.bin", mime: "application/octet-stream" },
        ])
      ).id,
    );
    expect((await messageOn(bob, convId, bare.id)).body).toMatchObject({ type: "text", text: "" });

    // A device linked now was not in the group when the files were sent: the hand-over brings the pointers.
    const bobTablet = await linkDevice(bob, "bob-tablet");
    const handedOver = await messageOn(bobTablet, convId, sent.id);
    for (const [i, pointer] of (handedOver.attachments ?? []).entries()) {
      expectSameBytes(await bobTablet.attachments.download(pointer), expected[i] as Buffer);
    }
  });

  it("a tampered blob is refused (VOLLY_E_BLOB_MISMATCH), never returned; deleting the message for everyone removes its blob", async () => {
    const data = randomBytes(150_000);
    const sent = await alice.attachments.whenSent(
      (
        await alice.attachments.send(convId, [
          { source: new Uint8Array(data), name: "a.bin", mime: "application/octet-stream" },
        ])
      ).id,
    );
    const pointer = (await messageOn(bob, convId, sent.id)).attachments?.[0] as AttachmentPointer;
    const blobPath = filesUnder(server.dataDir)
      .map((p) => join(server.dataDir, p))
      .find((p) => p.endsWith(pointer.blobId));
    expect(blobPath, "the blob file on the server").toBeDefined();
    const original = readFileSync(blobPath as string);
    const tampered = Buffer.from(original);
    tampered[70_000] = (tampered[70_000] ?? 0) ^ 1;
    writeFileSync(blobPath as string, tampered);
    expect((await rejection(bob.attachments.download(pointer))).code).toBe("VOLLY_E_BLOB_MISMATCH");
    expect((await rejection(readAll(bob.attachments.open(pointer)))).code).toBe("VOLLY_E_BLOB_MISMATCH");
    const target = join(home, "tampered.bin");
    expect((await rejection(bob.attachments.saveTo(pointer, target))).code).toBe("VOLLY_E_BLOB_MISMATCH");
    expect(existsSync(target)).toBe(false);
    // Chunks in another order are refused too (each chunk's nonce holds its position).
    const sealed = 64 * 1024 + 16;
    writeFileSync(
      blobPath as string,
      Buffer.concat([
        original.subarray(sealed, 2 * sealed),
        original.subarray(0, sealed),
        original.subarray(2 * sealed),
      ]),
    );
    expect((await rejection(bob.attachments.download(pointer))).code).toBe("VOLLY_E_BLOB_MISMATCH");
    writeFileSync(blobPath as string, original);
    expectSameBytes(await bob.attachments.download(pointer), data);

    await alice.messaging.delete(convId, sent.id, "everyone");
    await waitFor(async () => !existsSync(blobPath as string), {
      timeoutMs: 30_000,
      message: "blob removed",
    });
    expect((await rejection(bob.attachments.download(pointer))).code).toBe("VOLLY_E_NOT_FOUND");
    await waitFor(
      async () =>
        (await bob.messaging.history(convId, 1_000)).find((m) => m.id === sent.id)?.body.type === "deleted",
      {
        timeoutMs: 30_000,
        message: "bob shows the tombstone",
      },
    );
    const tombstone = (await bob.messaging.history(convId, 1_000)).find((m) => m.id === sent.id);
    expect(tombstone?.attachments).toBeUndefined();
  });

  it("a file over the server's limit is refused before a byte is read or an upload created", async () => {
    const blobs = join(server.dataDir, "blobs");
    const before = filesUnder(blobs).length;
    const big = join(home, "big.bin");
    writeFileSync(big, Buffer.alloc(LIMIT + 1));
    const err = await rejection(
      alice.attachments.send(convId, [
        { source: { path: big }, name: "big.bin", mime: "application/octet-stream" },
      ]),
    );
    expect(err.code).toBe("VOLLY_E_TOO_LARGE");
    expect(err.details).toMatchObject({ limit: LIMIT, size: LIMIT + 1 });
    expect(filesUnder(blobs).length).toBe(before);
    expect((await alice.messaging.history(convId, 1_000)).some((m) => m.upload !== undefined)).toBe(false);
  });

  it("a connection dropped mid-upload: the upload resumes from the server's offset and the message goes out once", async () => {
    carol = await newClient(home, proxy.url, "carol");
    open.push(carol);
    await carol.connect();
    const conv = await carol.resolveConversation("@bob");
    const data = randomBytes(3 * 1024 * 1024);
    proxy.arm({ afterBytes: 1024 * 1024, action: "cut" });
    const sent = await carol.attachments.whenSent(
      (
        await carol.attachments.send(conv.id, [
          { source: new Uint8Array(data), name: "big.bin", mime: "application/octet-stream" },
        ])
      ).id,
    );
    expect(proxy.fired()).toBe(true);
    const size = sent.attachments?.[0]?.ciphertextSize ?? 0;
    // The server answered a HEAD after the drop with what it had: the rest went from there.
    expect(proxy.offsets().some((o) => o > 0 && o < size)).toBe(true);
    const pointer = (await messageOn(bob, conv.id, sent.id)).attachments?.[0] as AttachmentPointer;
    expectSameBytes(await bob.attachments.download(pointer), data);
    const copies = (await bob.messaging.history(conv.id, 1_000)).filter((m) => m.attachments?.length);
    expect(copies.map((m) => m.id)).toEqual([sent.id]);
  });

  it("cancel during an upload removes the pending message and ends the upload on the server", async () => {
    const conv = await carol.resolveConversation("@bob");
    const uploads = join(server.dataDir, "blobs", "uploads");
    proxy.arm({ afterBytes: 1024 * 1024, action: "hold" });
    const queued = await carol.attachments.send(conv.id, [
      {
        source: new Uint8Array(randomBytes(3 * 1024 * 1024)),
        name: "never.bin",
        mime: "application/octet-stream",
      },
    ]);
    await waitFor(() => proxy.fired(), { timeoutMs: 30_000, message: "the upload is under way" });
    expect(filesUnder(uploads).length).toBeGreaterThan(0);
    const cancelling = carol.attachments.cancel(queued.id);
    proxy.dropHeld();
    await cancelling;
    expect((await carol.messaging.history(conv.id, 1_000)).some((m) => m.id === queued.id)).toBe(false);
    await waitFor(() => filesUnder(uploads).length === 0, {
      timeoutMs: 30_000,
      message: "the upload is gone",
    });
    expect((await rejection(carol.attachments.whenSent(queued.id))).code).toBe("VOLLY_E_UNKNOWN_MESSAGE");
  });
});
