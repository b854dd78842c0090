import { VollyError } from "@volly/protocol";
import { type DetailedError, type HttpRequest, Upload } from "tus-js-client";
import { errorFromBody, type HttpApi } from "../transport/http-api.js";
import { CiphertextSource } from "./ciphertext-source.js";

/** Bytes per PATCH request: what one request holds in memory (tus-js-client `chunkSize`). */
export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;
/** Delays (ms) of tus-js-client's own retries after a dropped connection, before the job's backoff. */
const RETRY_DELAYS = [0, 500, 1_000, 2_000, 4_000];

/** One blob to upload with {@link uploadBlob}. */
export interface BlobUpload {
  api: HttpApi;
  /** The conversation (group id) the blob belongs to. */
  conversationId: string;
  /** SHA-256 of the ciphertext, base64url: the server checks it when the last byte arrives. */
  blobId: string;
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
 * Uploads a blob with tus 1.0 (`tus-js-client`, creation and resumption): resumes `uploadUrl`
 * when given and still open (else creates a new upload at `/v1/uploads` with the metadata the
 * server checks: `conversation`, `sha256`), retries dropped connections from the server's offset,
 * and resolves once the server holds the complete blob (it checked the hash). A blob the server
 * already holds (a restart after the last byte went up) is not sent again.
 *
 * @throws VollyError the server's refusal (VOLLY_E_TOO_LARGE, VOLLY_E_QUOTA_EXCEEDED,
 *   VOLLY_E_NOT_FOUND: not a member, VOLLY_E_BLOB_MISMATCH: the bytes changed), or
 *   VOLLY_E_SERVER_UNREACHABLE once tus-js-client's retries are exhausted (try again later);
 *   an AbortError when `signal` aborted
 */
export async function uploadBlob(job: BlobUpload): Promise<void> {
  if (await blobExists(job.api, job.blobId)) {
    job.onProgress(job.size);
    return;
  }
  const source = new CiphertextSource(job.size, job.open);
  const origin = job.api.baseUrl;
  await new Promise<void>((resolve, reject) => {
    // The input is only handed to `fileReader` (ours ignores it and serves the ciphertext).
    const upload = new Upload(
      { read: async () => ({ done: true, value: undefined }) },
      {
        endpoint: new URL("/v1/uploads", origin).toString(),
        ...(job.uploadUrl ? { uploadUrl: job.uploadUrl } : {}),
        uploadSize: job.size,
        chunkSize: UPLOAD_CHUNK_BYTES,
        retryDelays: RETRY_DELAYS,
        metadata: { conversation: job.conversationId, sha256: job.blobId },
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
        onSuccess: () => resolve(),
        onError: (err: Error) => reject(uploadError(err)),
      },
    );
    job.signal?.addEventListener("abort", () => {
      void upload.abort(false).finally(() => reject(abortError()));
    });
    if (job.signal?.aborted) reject(abortError());
    else upload.start();
  }).finally(() => source.close());
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
