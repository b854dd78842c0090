import { toBase64Url, VollyError } from "@volly/protocol";
import { type DetailedError, type HttpRequest, type HttpResponse, Upload } from "tus-js-client";
import { errorFromBody, type HttpApi } from "../transport/http-api.js";
import { CiphertextSource } from "./ciphertext-source.js";

/** The response header naming the blob an upload became (the server's hash of what it received). */
const BLOB_ID_HEADER = "Volly-Blob-Id";
/** Bytes per PATCH request: what one request holds in memory (tus-js-client `chunkSize`). */
export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;
/** Delays (ms) of tus-js-client's own retries after a dropped connection, before the job's backoff. */
const RETRY_DELAYS = [0, 500, 1_000, 2_000, 4_000];

/** One blob to upload with {@link uploadBlob}. */
export interface BlobUpload {
  api: HttpApi;
  /** The conversation (group id) the blob belongs to. */
  conversationId: string;
  /**
   * The blob id declared at creation (SHA-256 of the ciphertext, base64url), checked by the server
   * when the last byte arrives — only for jobs saved by earlier versions, which hashed in a pass of
   * their own. Without it the ciphertext is hashed while it is uploaded.
   */
  blobId?: string;
  /** Ciphertext size (bytes). */
  size: number;
  /** A new pass over the ciphertext from its first byte. */
  open: () => AsyncIterable<Uint8Array>;
  /** The upload created by an earlier run, to resume (its offset is asked with HEAD). */
  uploadUrl?: string;
  /** Called once the server created the upload (persist it: a restart resumes it). */
  onUrl(url: string): Promise<void>;
  /** Ciphertext bytes the server holds so far (after each request's progress). */
  onProgress(sentBytes: number): void;
  /** Aborts the upload; with `terminate` it also deletes it on the server. */
  signal?: AbortSignal;
}

/**
 * Uploads a blob with tus 1.0 (`tus-js-client`, creation and resumption) in one pass over the
 * ciphertext, hashing it as it is read ({@link CiphertextSource}): resumes `uploadUrl` when given
 * and still open (else creates a new upload at `/v1/uploads` with metadata `conversation`, and
 * `sha256` only when `blobId` is given), retries dropped connections from the server's offset, and
 * resolves with the blob id once the server holds the complete blob. The id is the SHA-256 of the
 * ciphertext this client produced; the server names the blob by the hash of what it received
 * (`Volly-Blob-Id` on the final answer) and the two must agree. With a declared `blobId` (a job of
 * an earlier version) the server checks it instead, and a blob it already holds is not sent again.
 *
 * @returns the blob id (base64url SHA-256 of the ciphertext)
 * @throws VollyError the server's refusal (VOLLY_E_TOO_LARGE, VOLLY_E_QUOTA_EXCEEDED,
 *   VOLLY_E_NOT_FOUND: not a member, VOLLY_E_BLOB_MISMATCH: the bytes changed — the server's blob
 *   is not the ciphertext hashed here, or not the declared one), or VOLLY_E_SERVER_UNREACHABLE
 *   once tus-js-client's retries are exhausted (try again later); an AbortError when `signal`
 *   aborted
 */
export async function uploadBlob(job: BlobUpload): Promise<string> {
  const declared = job.blobId;
  if (declared !== undefined && (await blobExists(job.api, declared))) {
    job.onProgress(job.size);
    return declared;
  }
  const source = new CiphertextSource(job.size, job.open);
  try {
    const last = await tusUpload(job, source);
    if (declared !== undefined) return declared;
    const blobId = toBase64Url(await source.digest());
    const named = last.getHeader(BLOB_ID_HEADER);
    if (named && named !== blobId) {
      throw new VollyError(
        "VOLLY_E_BLOB_MISMATCH",
        "The server's copy of the file is not what was encrypted.",
        {
          blobId: named,
        },
      );
    }
    return blobId;
  } finally {
    source.close();
  }
}

/** Runs tus-js-client over `source`; resolves with the last response (the final PATCH's or HEAD's). */
function tusUpload(job: BlobUpload, source: CiphertextSource): Promise<HttpResponse> {
  const origin = job.api.baseUrl;
  return new Promise<HttpResponse>((resolve, reject) => {
    // The input is only handed to `fileReader` (ours ignores it and serves the ciphertext).
    const upload = new Upload(
      { read: async () => ({ done: true, value: undefined }) },
      {
        endpoint: new URL("/v1/uploads", origin).toString(),
        ...(job.uploadUrl ? { uploadUrl: job.uploadUrl } : {}),
        uploadSize: job.size,
        chunkSize: UPLOAD_CHUNK_BYTES,
        retryDelays: RETRY_DELAYS,
        metadata: {
          conversation: job.conversationId,
          ...(job.blobId !== undefined ? { sha256: job.blobId } : {}),
        },
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: false,
        fileReader: { openFile: async () => source },
        onBeforeRequest: (req: HttpRequest) => authorize(job.api, req),
        onShouldRetry: (err: DetailedError) => temporary(err),
        onUploadUrlAvailable: () => {
          if (upload.url && upload.url !== job.uploadUrl) {
            job.uploadUrl = upload.url;
            void job.onUrl(upload.url).catch(() => undefined);
          }
        },
        onProgress: (sent: number) => job.onProgress(sent),
        onSuccess: ({ lastResponse }) => resolve(lastResponse),
        onError: (err: Error) => reject(uploadError(err)),
      },
    );
    job.signal?.addEventListener("abort", () => {
      void upload.abort(false).finally(() => reject(abortError()));
    });
    if (job.signal?.aborted) reject(abortError());
    else upload.start();
  });
}

/**
 * Ends an unfinished upload on the server (tus termination) and forgets it. Errors are ignored:
 * an upload left behind expires on the server.
 */
export async function terminateUpload(api: HttpApi, url: string): Promise<void> {
  await Upload.terminate(url, {
    retryDelays: [],
    onBeforeRequest: (req: HttpRequest) => authorize(api, req),
  }).catch(() => undefined);
}

/** Whether the server holds the complete blob (`HEAD /v1/blobs/:id`). */
async function blobExists(api: HttpApi, blobId: string): Promise<boolean> {
  const res = await api.fetchWithSession(`/v1/blobs/${blobId}`, { method: "HEAD" });
  await res.body?.cancel();
  return res.ok;
}

async function authorize(api: HttpApi, req: HttpRequest): Promise<void> {
  req.setHeader("Authorization", `Bearer ${await api.bearer()}`);
}

/** Whether tus-js-client should retry: a dropped connection or a server error, never a refusal. */
function temporary(err: DetailedError): boolean {
  const status = err.originalResponse?.getStatus() ?? 0;
  if (status === 0) return true;
  if (status === 409 || status === 423) return true;
  return status >= 500 && status !== 507;
}

/** A tus-js-client failure as a VollyError: the server's JSON error body, or unreachable. */
function uploadError(err: Error): Error {
  if (err instanceof VollyError) return err;
  // No request: a local failure (the source could not be read, or changed size), not the network.
  const detailed = err as Partial<DetailedError>;
  if (!detailed.originalRequest) return detailed.causingError ?? err;
  const res = detailed.originalResponse;
  if (!res) {
    return new VollyError("VOLLY_E_SERVER_UNREACHABLE", `Upload interrupted: ${err.message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.getBody());
  } catch {
    body = undefined;
  }
  const status = res.getStatus();
  const error = errorFromBody(body, status);
  if (error.code === "VOLLY_E_INTERNAL" && status >= 500) {
    return new VollyError("VOLLY_E_SERVER_UNREACHABLE", `Upload failed on the server (HTTP ${status}).`);
  }
  return error;
}

function abortError(): Error {
  const err = new Error("The upload was cancelled.");
  err.name = "AbortError";
  return err;
}
