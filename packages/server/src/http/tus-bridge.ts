import type { IncomingMessage, ServerResponse } from "node:http";
import { FileStore } from "@tus/file-store";
import { Server as TusServer } from "@tus/server";
import { blobSize, VollyError } from "@volly/protocol";
import { NodeRequest, sendNodeResponse } from "srvx/node";
import { describeError } from "../describe-error.js";
import type { BlobService } from "../services/blobs/blob-service.js";
import { toVollyError } from "./error-handler.js";

/** The upload id the route admitted, by raw request: tus names the upload with it. */
const admittedIds = new WeakMap<IncomingMessage, string>();

/** Where tus is mounted. */
export const UPLOADS_PATH = "/v1/uploads";

/**
 * The response header naming the blob an upload became (its SHA-256, base64url): on the final
 * PATCH and on HEAD of a completed upload; exposed to web origins like tus's own headers.
 */
export const BLOB_ID_HEADER = "Volly-Blob-Id";

/** The tus server of the blob directory, with Volly's answers. */
export interface TusBridge {
  /**
   * Lets tus answer a request whose checks passed (the route hijacked the reply). tus errors keep
   * tus's status (clients rely on 409 offset conflicts, 410 expiry, 412 version) with a typed JSON
   * body; Volly errors of the completion (422 VOLLY_E_BLOB_MISMATCH) keep theirs.
   */
  forward(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void>;
  /** Tells tus the id a creation request's upload must get (the one the admission recorded). */
  admitted(req: IncomingMessage, uploadId: string): void;
}

/** A tus error answer carrying a Volly error body. */
function tusError(error: VollyError): { status_code: number; body: string } {
  return { status_code: error.httpStatus, body: JSON.stringify(error.toBody()) };
}

/** The Volly error code closest to a tus error status. */
function codeOf(status: number): VollyError["code"] {
  if (status === 404 || status === 410) return "VOLLY_E_NOT_FOUND";
  if (status === 413) return "VOLLY_E_TOO_LARGE";
  if (status >= 500) return "VOLLY_E_INTERNAL";
  return "VOLLY_E_BAD_REQUEST";
}

/** Re-writes a tus error answer's body as a typed JSON error (tus's own are plain text). */
async function asJsonError(response: Response): Promise<Response> {
  const text = await response.text();
  let body: string;
  try {
    const parsed = JSON.parse(text) as { code?: unknown };
    if (typeof parsed.code !== "string" || !parsed.code.startsWith("VOLLY_E_")) throw new Error("not ours");
    body = text;
  } catch {
    const error = new VollyError(codeOf(response.status), text.trim().slice(0, 200) || undefined);
    body = JSON.stringify({ ...error.toBody(), details: { tusStatus: response.status } });
  }
  const headers = new Headers(response.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.set("content-length", String(Buffer.byteLength(body)));
  return new Response(body, { status: response.status, headers });
}

/**
 * Builds the tus 1.0 server (`@tus/server` over `@tus/file-store`) for `/v1/uploads`: uploads in
 * `<blobDir>/uploads/` with their metadata beside them (tus's file configstore), so on a shared
 * volume any node resumes an upload another started; uploads expire after `uploadExpiryMs`
 * (`Upload-Expires`). The upload id is the one the admission recorded; the last byte triggers the
 * hash check (`BlobService.completion`), and the final PATCH answers the blob id in
 * {@link BLOB_ID_HEADER}. tus's locks are per process (its MemoryLocker): two nodes
 * writing one upload at once — a dropped PATCH still flushing on its node while the client resumes
 * on another — write the same bytes at the same offsets, and the hash check catches anything else.
 *
 * @param allowedOrigins web origins besides the server's own that may read tus's answers (CORS); none by default
 */
export function createTusBridge(
  blobs: BlobService,
  allowedOrigins: readonly string[],
  log: {
    error(fields: object, msg: string): void;
  },
): TusBridge {
  // Built on first use: tus's file store creates its directory when constructed, and an app that
  // never sees an upload (most tests, a node behind a proxy sending uploads elsewhere) needs none.
  let tus: Promise<TusServer> | undefined;
  const build = () =>
    new TusServer({
      path: UPLOADS_PATH,
      datastore: new FileStore({
        directory: blobs.files.uploadsDir,
        expirationPeriodInMilliseconds: blobs.config.uploadExpiryMs,
      }),
      relativeLocation: true,
      maxSize: blobSize(blobs.config.maxUploadBytes),
      allowedOrigins: (origin) => allowedOrigins.includes(origin),
      exposedHeaders: [BLOB_ID_HEADER],
      namingFunction: (req) => {
        const raw = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
        const id = raw && admittedIds.get(raw);
        if (!id) throw tusError(new VollyError("VOLLY_E_INTERNAL"));
        return id;
      },
      onUploadFinish: async (_req, upload) => {
        let blobId: string;
        try {
          blobId = await blobs.completion.complete(upload.id);
        } catch (error) {
          const volly = toVollyError(error);
          if (volly.code === "VOLLY_E_INTERNAL")
            log.error({ err: describeError(error) }, "upload completion failed");
          throw tusError(volly);
        }
        return { headers: { [BLOB_ID_HEADER]: blobId } };
      },
    });
  return {
    admitted(req, uploadId) {
      admittedIds.set(req, uploadId);
    },
    async forward(req, res, headers) {
      let response: Response;
      try {
        // The blob directories are made once, with the tus server (not on every PATCH).
        tus ??= blobs.files.ensure().then(build, (error: unknown) => {
          tus = undefined; // the next request tries again
          throw error;
        });
        response = await (await tus).handleWeb(new NodeRequest({ req, res }));
        if (response.status >= 400) response = await asJsonError(response);
      } catch (error) {
        log.error({ err: describeError(error) }, "tus request failed");
        const volly = new VollyError("VOLLY_E_INTERNAL");
        response = new Response(JSON.stringify(volly.toBody()), {
          status: volly.httpStatus,
          headers: { "content-type": "application/json; charset=utf-8" },
        });
      }
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
      response.headers.set("cache-control", "no-store");
      await sendNodeResponse(res, response);
    },
  };
}
