/**
 * files: encrypted attachment transfer against the same bytes sent plain, to one real
 * `volly serve` (embedded, SQLite), as the SDK sends them:
 * - encrypted upload: a pass of `encryptFile` over the file on disk into `sha256Stream` (the blob
 *   id the upload declares), then a second `encryptFile` pass streamed through tus-js-client to
 *   `POST/PATCH /v1/uploads` in 8 MiB PATCH requests (the SDK's `UPLOAD_CHUNK_BYTES`); done when the
 *   server answered the last PATCH (it hashed the stored file);
 * - encrypted download: `GET /v1/blobs/:id` streamed through an incremental SHA-256 (checked against
 *   the blob id) and `decryptFile` to a file on disk;
 * - plain baseline: the same plaintext bytes, same server process, same routes and same client
 *   code, without encryption (the declared sha256 is the plaintext's): the difference is exactly
 *   what encryption costs;
 * - spooled encrypted upload (upload only): one encryption pass hashed and written to a temporary
 *   file, then uploaded from it — the alternative to encrypting twice.
 * Throughput is file (plaintext) bytes per second, 10^6 bytes = 1 MB; ratio = encrypted / plain.
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
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { rssOf, startVolly } from "../lib/server.mjs";
import { createGroupWith, registerMember } from "../lib/volly-wire.mjs";

export const description =
  "Attachments: a file on disk encrypted (file AEAD: ChaCha20-Poly1305 in 64 KiB chunks, @noble/ciphers) " +
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
  encryptedHashPassMBs: "MB/s",
  plainHashPassMBs: "MB/s",
  spooledUploadMBs: "MB/s",
  spooledUploadRatio: "×",
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
    label: "100 MiB encrypted upload ≥ 0.8× plain",
  },
  {
    scenario: "100 MiB",
    metric: "downloadRatio",
    op: ">=",
    value: 0.8,
    label: "100 MiB encrypted download ≥ 0.8× plain",
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
 * A tus-js-client `FileSource` over a forward-only stream of bytes: serves the sequential slices
 * tus asks for (one PATCH body each), holding one slice at a time.
 */
function forwardSource(size, iterable) {
  const iterator = iterable[Symbol.asyncIterator]();
  let position = 0;
  let pending = new Uint8Array(0);
  return {
    size,
    async slice(start, end) {
      if (start !== position)
        throw new Error(`tus asked for bytes from ${start}, the stream is at ${position}`);
      const want = Math.min(end, size) - start;
      const value = Buffer.allocUnsafe(want);
      let have = 0;
      while (have < want) {
        if (pending.length === 0) {
          const next = await iterator.next();
          if (next.done) throw new Error(`the stream ended at ${position + have} of ${size} bytes`);
          pending = next.value;
          continue;
        }
        const take = pending.subarray(0, want - have);
        value.set(take, have);
        have += take.length;
        pending = pending.subarray(take.length);
      }
      position += have;
      // tus-js-client reads a slice's length from `size` (its own Node sources set it so).
      value.size = have;
      return { value, done: position >= size };
    },
    close() {
      void iterator.return?.();
    },
  };
}

/** Uploads `size` bytes from `open()` with tus 1.0 to `/v1/uploads`, declaring `blobId`. */
function tusUpload({ member, conversation, blobId, size, open }) {
  const source = forwardSource(size, open());
  return new Promise((resolve, reject) => {
    const upload = new Upload(
      { read: async () => ({ done: true, value: undefined }) },
      {
        endpoint: new URL("/v1/uploads", member.baseUrl).toString(),
        uploadSize: size,
        chunkSize: UPLOAD_CHUNK_BYTES,
        retryDelays: null,
        metadata: { conversation, sha256: blobId },
        headers: { authorization: `Bearer ${member.token}` },
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: false,
        fileReader: { openFile: async () => source },
        onSuccess: () => resolve(),
        onError: (error) => reject(error),
      },
    );
    upload.start();
  }).finally(() => source.close());
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
  const blobId = toBase64Url(await sha256Stream(encryptFile(key, createReadStream(path), size)));
  const t1 = performance.now();
  await tusUpload({
    member,
    conversation,
    blobId,
    size: blobSize(size),
    open: () => encryptFile(key, createReadStream(path), size),
  });
  const t2 = performance.now();
  const out = join(dir, "decrypted");
  const ciphertext = hashing(await getBlob(member, blobId));
  await pipeline(decryptFile(key, ciphertext.bytes(), size), createWriteStream(out));
  if ((await ciphertext.digest()) !== blobId) throw new Error("the downloaded blob does not hash to its id");
  const t3 = performance.now();
  return { hashPassMs: t1 - t0, uploadMs: t2 - t0, downloadMs: t3 - t2, out };
}

/** The same transfer without encryption: the blob is the plaintext, its id the plaintext's SHA-256. */
async function plainTransfer(member, conversation, path, size, dir) {
  const t0 = performance.now();
  const blobId = toBase64Url(await sha256Stream(createReadStream(path)));
  const t1 = performance.now();
  await tusUpload({ member, conversation, blobId, size, open: () => createReadStream(path) });
  const t2 = performance.now();
  const out = join(dir, "plain");
  const blob = hashing(await getBlob(member, blobId));
  await pipeline(blob.bytes(), createWriteStream(out));
  if ((await blob.digest()) !== blobId) throw new Error("the downloaded blob does not hash to its id");
  const t3 = performance.now();
  return { hashPassMs: t1 - t0, uploadMs: t2 - t0, downloadMs: t3 - t2, out };
}

/**
 * The other way a client could upload encrypted: one encryption pass, hashed and spooled to a
 * temporary file at once, then uploaded from that file (disk instead of a second encryption pass).
 * Upload only; the server's hash check on the last byte is the check.
 */
async function spooledTransfer(member, conversation, path, size, dir) {
  const key = generateFileKey();
  const spool = join(dir, "spool");
  const t0 = performance.now();
  const ciphertext = hashing(encryptFile(key, createReadStream(path), size));
  await pipeline(ciphertext.bytes(), createWriteStream(spool));
  const blobId = await ciphertext.digest();
  const t1 = performance.now();
  await tusUpload({
    member,
    conversation,
    blobId,
    size: blobSize(size),
    open: () => createReadStream(spool),
  });
  const t2 = performance.now();
  rmSync(spool);
  return { hashPassMs: t1 - t0, uploadMs: t2 - t0 };
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
      const timings = { encrypted: [], plain: [], spooled: [] };
      globalThis.gc?.();
      let peak = { clientRss: 0, clientHeap: 0, serverRss: 0 };
      for (let i = 0; i < repeats; i++) {
        const input = join(dir, `input-${mib}-${i}`);
        const inputHash = await writeRandomFile(input, size);
        // Alternate which goes first, so neither always meets a warmer (or busier) machine.
        const kinds = ["plain", "encrypted", "spooled"];
        const order = [...kinds.slice(i % 3), ...kinds.slice(0, i % 3)];
        for (const kind of order) {
          console.error(`files: ${mib} MiB ${kind} ${i + 1}/${repeats}`);
          const sampler = sampleMemory(server.pid);
          const transfer = { encrypted: encryptedTransfer, plain: plainTransfer, spooled: spooledTransfer }[
            kind
          ];
          const t = await transfer(owner, conversation, input, size, dir);
          const p = sampler.stop();
          peak = {
            clientRss: Math.max(peak.clientRss, p.clientRss),
            clientHeap: Math.max(peak.clientHeap, p.clientHeap),
            serverRss: Math.max(peak.serverRss, p.serverRss),
          };
          if (t.out) {
            if (statSync(t.out).size !== size || (await fileSha256(t.out)) !== inputHash) {
              throw new Error(`${kind} ${mib} MiB: the downloaded file differs from the uploaded one`);
            }
            rmSync(t.out);
          }
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
        encryptedHashPassMBs: rate("encrypted", "hashPassMs"),
        plainHashPassMBs: rate("plain", "hashPassMs"),
        spooledUploadMBs: rate("spooled", "uploadMs"),
        clientPeakRssMiB: peak.clientRss / MiB,
        clientRssGrowthMiB: Math.max(0, peak.clientRss - startClient) / MiB,
        clientPeakHeapMiB: peak.clientHeap / MiB,
        serverPeakRssMiB: peak.serverRss / MiB,
        serverRssGrowthMiB: Math.max(0, peak.serverRss - startServer) / MiB,
      };
      s.uploadRatio = s.encryptedUploadMBs / s.plainUploadMBs;
      s.downloadRatio = s.encryptedDownloadMBs / s.plainDownloadMBs;
      s.spooledUploadRatio = s.spooledUploadMBs / s.plainUploadMBs;
      scenarios[`${mib} MiB`] = s;
      console.error(`files: ${mib} MiB ${JSON.stringify(s)}`);
    }
    const hwm = rssOf(process.pid).peak / MiB;
    const serverHwm = rssOf(server.pid).peak / MiB;
    notes.push(
      `Upload = the hash pass (SHA-256 of the bytes the upload declares: for the encrypted path an encryption pass, @noble/hashes in both) + the tus upload (a second encryption pass, streamed); the *HashPassMBs rows are that first pass alone. Download = GET streamed through SHA-256 (checked) and, encrypted, decryptFile, to disk.`,
      `spooled* = the encrypted upload done with one encryption pass: the ciphertext is hashed and written to a temporary file at once, then uploaded from it (what the SDK could do instead of encrypting twice; costs disk space of the file's size).`,
      `Memory growth is the scenario's peak over the process's RSS before the first transfer (after setup and a GC).`,
      `Process peaks over the whole run (VmHWM): client ${hwm.toFixed(0)} MiB, server ${serverHwm.toFixed(0)} MiB.`,
      `Client and server share the machine; the encryption is pure JavaScript (@noble/ciphers ChaCha20-Poly1305, node:crypto excluded by design), the server is the same process for both paths.`,
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { scenarios, notes };
}

runAsMain(import.meta.url, run);
