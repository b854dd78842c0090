/**
 * files: encrypted attachment transfer against the same bytes sent plain, to one real
 * `volly serve` (embedded, SQLite), as the SDK sends them:
 * - encrypted upload: one `encryptFile` pass over the file on disk, streamed through tus-js-client
 *   to `POST/PATCH /v1/uploads` in 8 MiB PATCH requests (the SDK's `UPLOAD_CHUNK_BYTES`) from the
 *   SDK's own `CiphertextSource` (packages/client/src/attachments/ciphertext-source.ts), which hashes
 *   the ciphertext as tus reads it; no `sha256` is declared, the server names the blob by the hash
 *   it computes and answers it in `Volly-Blob-Id`, checked against the client's digest; done when
 *   the server answered the last PATCH;
 * - encrypted download: `GET /v1/blobs/:id` streamed through an incremental SHA-256 (checked against
 *   the blob id) and `decryptFile` to a file on disk;
 * - plain baseline: the same plaintext bytes, same server process, same routes and same client
 *   code (the same hashing source over the file instead of its ciphertext), without encryption: the
 *   difference is exactly what encryption costs.
 * Throughput is file (plaintext) bytes per second, 10^6 bytes = 1 MB; uploadRatio and downloadRatio
 * = encrypted / plain in the same direction; downloadToPlainUploadRatio = encrypted download / plain
 * upload, the comparison issue 14 sets ("side by side … with a plain unencrypted HTTP upload of the
 * same bytes … target ≥ 0.8× of it" for the encrypted upload and download).
 * Memory: the client's (this process) RSS and V8 heap and the server's RSS, sampled every 25 ms
 * during the scenario's transfers; growth is the peak over the value before the first transfer.
 * Each output file is compared with its input (node:crypto SHA-256, outside the timings).
 *
 *   node bench/workloads/files.mjs [--quick] [--sizes 1,16,100] [--repeat 1]
 */
import { createHash, randomFillSync } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { decryptFile, encryptFile, generateFileKey, sha256Stream } from "@volly/crypto";
import { blobSize, toBase64Url } from "@volly/protocol";
import { Upload } from "tus-js-client";
// The SDK's upload source (not part of @volly/client's public API): the bench uploads as it does.
import { CiphertextSource } from "../../packages/client/dist/attachments/ciphertext-source.js";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { rssOf, startVolly } from "../lib/server.mjs";
import { createGroupWith, registerMember } from "../lib/volly-wire.mjs";

export const description =
  "Attachments: a file on disk encrypted (file AEAD: AES-256-GCM in 64 KiB chunks, WebCrypto) " +
  "and uploaded with tus (8 MiB PATCHes) to one embedded `volly serve`, then downloaded, hash-checked and " +
  "decrypted to disk — against the same bytes uploaded and downloaded plain through the same routes. " +
  "Throughput in MB/s of file bytes, ratio encrypted / plain, and peak memory of client and server.";

export const units = {
  encryptedUploadMBs: "MB/s",
  plainUploadMBs: "MB/s",
  uploadRatio: "×",
  encryptedDownloadMBs: "MB/s",
  plainDownloadMBs: "MB/s",
  downloadRatio: "×",
  downloadToPlainUploadRatio: "×",
  clientPeakRssMiB: "MiB",
  clientRssGrowthMiB: "MiB",
  clientPeakHeapMiB: "MiB",
  serverPeakRssMiB: "MiB",
  serverRssGrowthMiB: "MiB",
};

export const targets = [
  {
    scenario: "100 MiB",
    metric: "uploadRatio",
    op: ">=",
    value: 0.8,
    label: "100 MiB encrypted upload ≥ 0.8× plain upload (issue 14's target)",
  },
  {
    scenario: "100 MiB",
    metric: "downloadToPlainUploadRatio",
    op: ">=",
    value: 0.8,
    label: "100 MiB encrypted download ≥ 0.8× plain upload (issue 14's target)",
  },
  {
    scenario: "100 MiB",
    metric: "downloadRatio",
    op: ">=",
    value: 0.8,
    label: "100 MiB encrypted download ≥ 0.8× plain download (stricter than the issue)",
  },
  {
    scenario: "100 MiB",
    metric: "clientRssGrowthMiB",
    op: "<=",
    value: 100,
    label: "100 MiB file never held whole by the client (RSS growth ≤ 100 MiB)",
  },
  {
    scenario: "100 MiB",
    metric: "serverRssGrowthMiB",
    op: "<=",
    value: 100,
    label: "100 MiB file never held whole by the server (RSS growth ≤ 100 MiB)",
  },
];

export const defaultRuns = 1;

const MiB = 1024 * 1024;
/** Bytes per PATCH request, as the SDK sends them (packages/client/src/attachments/tus-upload.ts). */
const UPLOAD_CHUNK_BYTES = 8 * MiB;
/** Transfers per size in one run (the median is reported); small files repeat to smooth noise. */
const REPEATS = { 1: 5, 16: 3, 100: 3 };

const agent = new http.Agent({ keepAlive: true });

/** Writes `size` random bytes to `path`; returns their SHA-256 (hex). */
async function writeRandomFile(path, size) {
  const hash = createHash("sha256");
  const out = createWriteStream(path);
  async function* pieces() {
    for (let left = size; left > 0; left -= MiB) {
      const piece = randomFillSync(Buffer.allocUnsafe(Math.min(MiB, left)));
      hash.update(piece);
      yield piece;
    }
  }
  await pipeline(pieces, out);
  return hash.digest("hex");
}

async function fileSha256(path) {
  const hash = createHash("sha256");
  for await (const piece of createReadStream(path)) hash.update(piece);
  return hash.digest("hex");
}

/**
 * Uploads `size` bytes from `open()` with tus 1.0 to `/v1/uploads` in one pass, as the SDK does
 * (packages/client/src/attachments/tus-upload.ts): the source hashes what tus reads, no sha256 is
 * declared, and the server's `Volly-Blob-Id` must be that hash. Resolves with the blob id.
 */
async function tusUpload({ member, conversation, size, open }) {
  const source = new CiphertextSource(size, open);
  try {
    const last = await new Promise((resolve, reject) => {
      const upload = new Upload(
        { read: async () => ({ done: true, value: undefined }) },
        {
          endpoint: new URL("/v1/uploads", member.baseUrl).toString(),
          uploadSize: size,
          chunkSize: UPLOAD_CHUNK_BYTES,
          retryDelays: null,
          metadata: { conversation },
          headers: { authorization: `Bearer ${member.token}` },
          storeFingerprintForResuming: false,
          removeFingerprintOnSuccess: false,
          fileReader: { openFile: async () => source },
          onSuccess: ({ lastResponse }) => resolve(lastResponse),
          onError: (error) => reject(error),
        },
      );
      upload.start();
    });
    const blobId = toBase64Url(await source.digest());
    if (last.getHeader("Volly-Blob-Id") !== blobId)
      throw new Error("the server's blob id is not the client's hash");
    return blobId;
  } finally {
    source.close();
  }
}

/** `GET /v1/blobs/:blobId`: resolves with the streaming response once its status is 200. */
function getBlob(member, blobId) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      new URL(`/v1/blobs/${blobId}`, member.baseUrl),
      { agent, headers: { authorization: `Bearer ${member.token}` } },
      (res) => {
        if (res.statusCode === 200) return resolve(res);
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => reject(new Error(`GET blob: ${res.statusCode} ${Buffer.concat(chunks)}`)));
      },
    );
    req.on("error", reject);
  });
}

/**
 * Passes `source` through while `sha256Stream` hashes the same pieces, as the SDK's download does
 * (packages/client/src/attachments/blob-download.ts). `digest()` resolves once the source ended.
 */
function hashing(source) {
  const queue = [];
  let ended = false;
  let wake;
  const copy = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length > 0) yield queue.shift();
        else if (ended) return;
        else await new Promise((resolve) => (wake = resolve));
      }
    },
  };
  const digest = sha256Stream(copy);
  const push = (piece) => {
    if (piece) queue.push(piece);
    else ended = true;
    wake?.();
    wake = undefined;
  };
  return {
    async *bytes() {
      try {
        for await (const piece of source) {
          push(piece);
          yield piece;
        }
      } finally {
        push(undefined);
      }
    },
    digest: async () => toBase64Url(await digest),
  };
}

/** Encrypted upload then download of `path`; returns the timings (ms) and the decrypted file's path. */
async function encryptedTransfer(member, conversation, path, size, dir) {
  const key = generateFileKey();
  const t0 = performance.now();
  const blobId = await tusUpload({
    member,
    conversation,
    size: blobSize(size),
    open: () => encryptFile(key, createReadStream(path), size),
  });
  const t1 = performance.now();
  const out = join(dir, "decrypted");
  const ciphertext = hashing(await getBlob(member, blobId));
  await pipeline(decryptFile(key, ciphertext.bytes(), size), createWriteStream(out));
  if ((await ciphertext.digest()) !== blobId) throw new Error("the downloaded blob does not hash to its id");
  const t2 = performance.now();
  return { uploadMs: t1 - t0, downloadMs: t2 - t1, out };
}

/** The same transfer without encryption: the blob is the plaintext, its id the plaintext's SHA-256. */
async function plainTransfer(member, conversation, path, size, dir) {
  const t0 = performance.now();
  const blobId = await tusUpload({ member, conversation, size, open: () => createReadStream(path) });
  const t1 = performance.now();
  const out = join(dir, "plain");
  const blob = hashing(await getBlob(member, blobId));
  await pipeline(blob.bytes(), createWriteStream(out));
  if ((await blob.digest()) !== blobId) throw new Error("the downloaded blob does not hash to its id");
  const t2 = performance.now();
  return { uploadMs: t1 - t0, downloadMs: t2 - t1, out };
}

/** Samples the client's and the server's memory every 25 ms until `stop()`; returns the peaks (bytes). */
function sampleMemory(serverPid) {
  const peak = { clientRss: 0, clientHeap: 0, serverRss: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.clientRss = Math.max(peak.clientRss, m.rss);
    peak.clientHeap = Math.max(peak.clientHeap, m.heapUsed);
    peak.serverRss = Math.max(peak.serverRss, rssOf(serverPid).rss);
  };
  sample();
  const timer = setInterval(sample, 25);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function run(flags) {
  const quick = flags.quick === "true";
  const sizes = (flags.sizes ?? (quick ? "1,16" : "1,16,100")).split(",").map(Number);
  const repeatFlag = flags.repeat === undefined ? undefined : numberFlag(flags, "repeat", 1);
  const dir = mkdtempSync(join(tmpdir(), "volly-bench-files-"));
  const server = await startVolly();
  const notes = [];
  const scenarios = {};
  try {
    const owner = await registerMember(server.url, "files-owner");
    const other = await registerMember(server.url, "files-other");
    const conversation = await createGroupWith(owner, [other]);
    // Memory before any transfer: growth is measured from here, so memory a transfer kept shows.
    globalThis.gc?.();
    const startClient = process.memoryUsage().rss;
    const startServer = rssOf(server.pid).rss;
    for (const mib of sizes) {
      const size = mib * MiB;
      const repeats = repeatFlag ?? (quick ? 1 : (REPEATS[mib] ?? 1));
      const timings = { encrypted: [], plain: [] };
      globalThis.gc?.();
      let peak = { clientRss: 0, clientHeap: 0, serverRss: 0 };
      for (let i = 0; i < repeats; i++) {
        const input = join(dir, `input-${mib}-${i}`);
        const inputHash = await writeRandomFile(input, size);
        // Alternate which goes first, so neither always meets a warmer (or busier) machine.
        const order = i % 2 === 0 ? ["plain", "encrypted"] : ["encrypted", "plain"];
        for (const kind of order) {
          console.error(`files: ${mib} MiB ${kind} ${i + 1}/${repeats}`);
          // The previous transfer's garbage goes first (memory it kept stays and still counts).
          globalThis.gc?.();
          const sampler = sampleMemory(server.pid);
          const transfer = kind === "encrypted" ? encryptedTransfer : plainTransfer;
          const t = await transfer(owner, conversation, input, size, dir);
          const p = sampler.stop();
          peak = {
            clientRss: Math.max(peak.clientRss, p.clientRss),
            clientHeap: Math.max(peak.clientHeap, p.clientHeap),
            serverRss: Math.max(peak.serverRss, p.serverRss),
          };
          if (statSync(t.out).size !== size || (await fileSha256(t.out)) !== inputHash) {
            throw new Error(`${kind} ${mib} MiB: the downloaded file differs from the uploaded one`);
          }
          rmSync(t.out);
          timings[kind].push(t);
        }
        rmSync(input);
      }
      const mbs = (ms) => size / 1e6 / (ms / 1000);
      const rate = (kind, field) => median(timings[kind].map((t) => mbs(t[field])));
      const s = {
        encryptedUploadMBs: rate("encrypted", "uploadMs"),
        plainUploadMBs: rate("plain", "uploadMs"),
        encryptedDownloadMBs: rate("encrypted", "downloadMs"),
        plainDownloadMBs: rate("plain", "downloadMs"),
        clientPeakRssMiB: peak.clientRss / MiB,
        clientRssGrowthMiB: Math.max(0, peak.clientRss - startClient) / MiB,
        clientPeakHeapMiB: peak.clientHeap / MiB,
        serverPeakRssMiB: peak.serverRss / MiB,
        serverRssGrowthMiB: Math.max(0, peak.serverRss - startServer) / MiB,
      };
      s.uploadRatio = s.encryptedUploadMBs / s.plainUploadMBs;
      s.downloadRatio = s.encryptedDownloadMBs / s.plainDownloadMBs;
      // Issue 14 measures both directions against "a plain unencrypted HTTP upload of the same bytes".
      s.downloadToPlainUploadRatio = s.encryptedDownloadMBs / s.plainUploadMBs;
      scenarios[`${mib} MiB`] = s;
      console.error(`files: ${mib} MiB ${JSON.stringify(s)}`);
    }
    const hwm = rssOf(process.pid).peak / MiB;
    const serverHwm = rssOf(server.pid).peak / MiB;
    notes.push(
      `Upload = one pass, as the SDK uploads: the bytes (encrypted: encryptFile over the file; plain: the file) streamed through tus-js-client from the SDK's CiphertextSource, which hashes them (node:crypto's SHA-256 in Node) as tus reads them; no sha256 declared, the server hashes the stored file at completion and answers the blob id (Volly-Blob-Id), compared with the client's. Download = GET streamed through SHA-256 (checked) and, encrypted, decryptFile, to disk.`,
      `Memory growth is the scenario's peak over the process's RSS before the first transfer (after setup and a GC; a GC also runs before each transfer). RSS also keeps what the allocator has not returned to the system, so the growth creeps up over the transfers of a scenario for plain and encrypted alike; the V8 heap (clientPeakHeapMiB) stays flat.`,
      `Process peaks over the whole run (VmHWM): client ${hwm.toFixed(0)} MiB, server ${serverHwm.toFixed(0)} MiB.`,
      `Client and server share the machine; the encryption is WebCrypto AES-256-GCM (crypto.subtle, the key imported once per file; in Node it runs on the libuv thread pool), the server is the same process for both paths.`,
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { scenarios, notes };
}

runAsMain(import.meta.url, run);
