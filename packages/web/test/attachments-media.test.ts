import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { base64UrlBytes } from "../src/lib/attachments/base64url.js";
import {
  formatBytes,
  formatDuration,
  formatMiB,
  formatSpeed,
  percent,
} from "../src/lib/attachments/format.js";
import { mediaItems } from "../src/lib/attachments/media-items.js";
import { MAX_PLAYED, markPlayed, playedKey, wasPlayed } from "../src/lib/attachments/played-state.js";
import { attachmentPreview } from "../src/lib/attachments/preview.js";
import { describeSendError } from "../src/lib/attachments/send-errors.js";
import { webmCodecs } from "../src/lib/attachments/stream-video.js";
import { sniffImageType } from "../src/lib/attachments/thumbnail-url.js";
import { BLURHASH_SAMPLE, blurhashFromPixels, blurhashPixels } from "../src/lib/media/blurhash.js";
import { cleanMime, cleanName } from "../src/lib/media/names.js";
import {
  firstThatFits,
  fitWithin,
  THUMBNAIL_MAX_BYTES,
  THUMBNAIL_STEPS,
} from "../src/lib/media/thumbnail.js";
import { WAVEFORM_SAMPLES, waveformFromSamples } from "../src/lib/media/waveform.js";
import { copyArgs } from "../src/worker/cloneable.js";
import { resultTransfer } from "../src/worker/result-transfer.js";
import type { MessageRecord } from "../src/worker/rpc-types.js";
import { SdkError } from "../src/worker/sdk-error.js";

/** A Storage-like map for the played state. */
function memoryStorage(): Pick<Storage, "getItem" | "setItem"> {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

describe("voice waveform", () => {
  it("has at most 100 samples, loud where the voice is loud, 255 at the loudest", () => {
    // 1 s of silence then 1 s of a tone at 48 kHz
    const samples = new Float32Array(96_000);
    for (let i = 48_000; i < samples.length; i++) samples[i] = 0.5 * Math.sin(i / 10);
    const wave = waveformFromSamples(samples);
    expect(wave).toHaveLength(WAVEFORM_SAMPLES);
    expect(Math.max(...wave)).toBe(255);
    expect(Math.max(...wave.subarray(0, 50))).toBe(0);
    expect(Math.min(...wave.subarray(50))).toBeGreaterThan(200);
  });

  it("is all zero for silence and never longer than the audio", () => {
    expect([...waveformFromSamples(new Float32Array(1000))]).toEqual(new Array(100).fill(0));
    expect(waveformFromSamples(new Float32Array([0.1, 0.2, 0.3]))).toHaveLength(3);
  });
});

describe("thumbnails", () => {
  it("scales down to the longest side, never up, keeping the aspect", () => {
    expect(fitWithin(4000, 3000, 320)).toEqual({ width: 320, height: 240 });
    expect(fitWithin(1000, 4000, 320)).toEqual({ width: 80, height: 320 });
    expect(fitWithin(100, 50, 320)).toEqual({ width: 100, height: 50 });
    expect(fitWithin(10_000, 1, 48)).toEqual({ width: 48, height: 1 });
  });

  it("takes the first step that fits in 6 KiB, and none when nothing fits", async () => {
    const tried: number[] = [];
    const encode = async (step: { side: number; quality: number }) => {
      tried.push(step.side);
      return new Uint8Array(step.side * 30); // 320 px → 9600 B, 200 px → 6000 B
    };
    const fit = await firstThatFits(THUMBNAIL_STEPS, encode, THUMBNAIL_MAX_BYTES);
    expect(fit?.byteLength).toBe(6000);
    expect(tried).toEqual([320, 320, 240, 200]);
    expect(await firstThatFits(THUMBNAIL_STEPS, async () => new Uint8Array(7000), THUMBNAIL_MAX_BYTES)).toBe(
      undefined,
    );
  });

  it("recognises WebP, JPEG and PNG by their first bytes", () => {
    const webp = new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 ");
    expect(sniffImageType(webp)).toBe("image/webp");
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImageType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))).toBe("image/png");
    expect(sniffImageType(new TextEncoder().encode("<svg></svg>"))).toBe(undefined);
  });
});

describe("blurhash", () => {
  it("encodes pixels to a short hash that decodes back to the image's colour", () => {
    const n = BLURHASH_SAMPLE;
    // red on the left half, blue on the right
    const pixels = new Uint8ClampedArray(n * n * 4);
    for (let i = 0; i < n * n; i++)
      pixels.set(i % n < n / 2 ? [220, 30, 30, 255] : [30, 30, 220, 255], i * 4);
    const hash = blurhashFromPixels(pixels, n, n);
    expect(hash.length).toBeGreaterThanOrEqual(6);
    expect(hash.length).toBeLessThanOrEqual(100);
    const back = blurhashPixels(hash) ?? new Uint8ClampedArray(0);
    expect(back).toHaveLength(n * n * 4);
    const at = (x: number, y: number) => [...back.subarray((y * n + x) * 4, (y * n + x) * 4 + 3)];
    const [lr, , lb] = at(2, n / 2) as [number, number, number];
    const [rr, , rb] = at(n - 3, n / 2) as [number, number, number];
    expect(lr).toBeGreaterThan(lb);
    expect(rb).toBeGreaterThan(rr);
    expect(blurhashPixels("not a hash!")).toBe(undefined);
  });
});

describe("names, types and figures", () => {
  it("cleans names and types to what the protocol accepts", () => {
    expect(cleanMime("Image/JPEG")).toBe("image/jpeg");
    expect(cleanMime("audio/webm;codecs=opus")).toBe("audio/webm");
    expect(cleanMime("")).toBe("application/octet-stream");
    expect(cleanName("C:\\Users\\me\\holiday.jpg", "file")).toBe("holiday.jpg");
    expect(cleanName("  ", "file")).toBe("file");
    expect(cleanName("x".repeat(300), "file")).toHaveLength(255);
  });

  it("formats sizes, speeds, durations, percentages and limits", () => {
    expect(formatBytes(812)).toBe("812 B");
    expect(formatBytes(1_400_000)).toBe("1.4 MB");
    expect(formatBytes(23_000_000)).toBe("23 MB");
    expect(formatSpeed(0)).toBe("");
    expect(formatSpeed(2_500_000)).toBe("2.5 MB/s");
    expect(formatDuration(7_400)).toBe("0:07");
    expect(formatDuration(221_000)).toBe("3:41");
    expect(formatDuration(3_723_000)).toBe("1:02:03");
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 0)).toBe(0);
    expect(formatMiB(104_857_600)).toBe("100 MiB");
    expect(formatMiB(1_572_864)).toBe("1.5 MiB");
  });

  it("decodes base64url without padding", () => {
    expect([...base64UrlBytes("_-8")]).toEqual([0xff, 0xef]);
    expect([...base64UrlBytes("AQID")]).toEqual([1, 2, 3]);
  });
});

describe("the conversation list's preview of files without a caption", () => {
  it("names the kind, the voice message's length, the file's name, or how many", () => {
    const p = (kind: string, extra: object = {}) => ({ kind, name: "itinerary.pdf", ...extra }) as never;
    expect(attachmentPreview({ attachments: [p("image")] })).toBe("📷 Photo");
    expect(attachmentPreview({ attachments: [p("voice", { durationMs: 7400 })] })).toBe(
      "🎤 Voice message (0:07)",
    );
    expect(attachmentPreview({ attachments: [p("video", { durationMs: 61_000 })] })).toBe("🎬 Video (1:01)");
    expect(attachmentPreview({ attachments: [p("file")] })).toBe("📎 itinerary.pdf");
    expect(attachmentPreview({ attachments: [p("image"), p("image")] })).toBe("📷 2 photos");
    expect(attachmentPreview({ attachments: [p("image"), p("file"), p("voice")] })).toBe("📎 3 files");
    expect(attachmentPreview({ upload: { sentBytes: 0, totalBytes: 9, state: "uploading" } })).toBe(
      "📎 Sending files…",
    );
    expect(attachmentPreview({})).toBe("");
  });
});

describe("refused files", () => {
  it("say the server's limit in MiB, the quota, and that nothing was uploaded", () => {
    const tooLarge = new SdkError({
      code: "VOLLY_E_TOO_LARGE",
      message: "x",
      details: { limit: 104_857_600, size: 200_000_000, name: "film.mkv" },
    });
    expect(describeSendError(tooLarge)).toBe(
      "“film.mkv” is too large: this server takes files up to 100 MiB. Nothing was uploaded.",
    );
    expect(describeSendError(new SdkError({ code: "VOLLY_E_TOO_LARGE", message: "x" }))).toBe(
      "This file is too large for this server. Nothing was uploaded.",
    );
    const quota = new SdkError({
      code: "VOLLY_E_QUOTA_EXCEEDED",
      message: "x",
      details: { quota: 10 * 1024 ** 3, used: 10 * 1024 ** 3 - 5, size: 100 },
    });
    expect(describeSendError(quota)).toMatch(
      /^Your storage on this server \(10 GiB\) is full\..*Nothing was uploaded\.$/,
    );
    expect(describeSendError(new SdkError({ code: "VOLLY_E_SERVER_UNREACHABLE", message: "x" }))).toMatch(
      /Can't reach the server/,
    );
  });
});

describe("played voice messages", () => {
  it("are remembered per message and file, oldest dropped past the cap", () => {
    const storage = memoryStorage();
    const key = playedKey("m1", "blob1");
    expect(wasPlayed(key, storage)).toBe(false);
    markPlayed(key, storage);
    markPlayed(key, storage);
    expect(wasPlayed(key, storage)).toBe(true);
    expect(wasPlayed(playedKey("m1", "blob2"), storage)).toBe(false);
    for (let i = 0; i < MAX_PLAYED; i++) markPlayed(`k${i}`, storage);
    expect(wasPlayed(key, storage)).toBe(false);
    expect(wasPlayed(`k${MAX_PLAYED - 1}`, storage)).toBe(true);
  });
});

describe("video streaming", () => {
  it("names a WebM's codecs from its header, for MediaSource", () => {
    const header = (ids: string[]) =>
      new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, ...new TextEncoder().encode(`webm..${ids.join("...")}..`)]);
    expect(webmCodecs(header(["V_VP8", "A_OPUS"]))).toBe("vp8,opus");
    expect(webmCodecs(header(["V_VP9"]))).toBe("vp9");
    expect(webmCodecs(header(["A_VORBIS"]))).toBe("vorbis");
    expect(webmCodecs(header([]))).toBe(undefined);
  });
});

describe("the viewer's media", () => {
  it("are the images and videos of the messages, in order, files and voice left out", () => {
    const pointer = (kind: string, blobId: string) => ({ kind, blobId }) as never;
    const list = [
      { id: "a", sentAt: 1, from: "x", attachments: [pointer("image", "1"), pointer("file", "2")] },
      { id: "b", sentAt: 2, from: "y" },
      { id: "c", sentAt: 3, from: "x", attachments: [pointer("voice", "3"), pointer("video", "4")] },
    ] as unknown as MessageRecord[];
    expect(mediaItems(list).map((i) => `${i.messageId}/${i.pointer.blobId}`)).toEqual(["a/1", "c/4"]);
  });
});

describe("SDK worker RPC: files to send", () => {
  it("cross as Blob handles (never read on the UI thread); their thumbnails' bytes are copied once and moved", async () => {
    const file = new Blob([new Uint8Array(200_000).fill(3)], { type: "image/jpeg" });
    const thumbnail = new Uint8Array(100_000).fill(5);
    const args = ["conv", [{ source: file, name: "a.jpg", mime: "image/jpeg", thumbnail }], { text: "hi" }];
    const { args: copied, transfer } = copyArgs(args, (v) => structuredClone(v));
    const sent = (copied[1] as Array<{ source: Blob; thumbnail: Uint8Array }>)[0];
    expect(sent?.source).toBe(file);
    expect(sent?.thumbnail).not.toBe(thumbnail);
    expect(transfer).toEqual([sent?.thumbnail.buffer]);

    const { port1, port2 } = new MessageChannel();
    const received = new Promise<unknown[]>((resolve) => port2.once("message", resolve));
    port1.postMessage(copied, transfer);
    const got = (await received)[1] as Array<{ source: Blob; thumbnail: Uint8Array }>;
    expect(got[0]?.source.size).toBe(200_000);
    expect(got[0]?.thumbnail).toEqual(new Uint8Array(100_000).fill(5));
    expect(thumbnail.byteLength).toBe(100_000); // the caller's own bytes stay
    expect(sent?.thumbnail.byteLength).toBe(0); // the copy was moved
    port1.close();
  });
});

describe("SDK worker RPC: results moved, not copied", () => {
  it("moves downloaded bytes and decrypted streams, copies everything else", async () => {
    const bytes = new Uint8Array(1024).fill(9);
    expect(resultTransfer("bytes", bytes)).toEqual([bytes.buffer]);
    expect(resultTransfer("as-is", bytes)).toEqual([]);
    expect(resultTransfer("message", { big: bytes })).toEqual([]);

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3]));
        controller.enqueue(new Uint8Array([4]));
        controller.close();
      },
    });
    const transfer = resultTransfer("stream", stream);
    expect(transfer).toEqual([stream]);

    // posted with that list the bytes arrive, the sender's buffer is moved, the stream readable there
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<{ bytes: Uint8Array; stream: ReadableStream<Uint8Array> }>((resolve) =>
      port2.once("message", resolve),
    );
    port1.postMessage({ bytes, stream }, [...resultTransfer("bytes", bytes), ...transfer] as never);
    const got = await received;
    expect(bytes.byteLength).toBe(0);
    expect(got.bytes).toEqual(new Uint8Array(1024).fill(9));
    const chunks: number[] = [];
    const reader = got.stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(...r.value);
    expect(chunks).toEqual([1, 2, 3, 4]);
    port1.close();
  });
});
