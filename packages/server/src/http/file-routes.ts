import { open } from "node:fs/promises";
import { type ApiKeyScope, BlobParams, parse, VollyError } from "@volly/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { requireScope } from "../services/api-keys/grants.js";
import { UPLOAD_ID } from "../services/blobs/blob-files.js";
import type { AuthContext } from "../services/context.js";
import type { Services } from "../services/services.js";
import { authenticateRequest } from "./bearer.js";
import { parseRange } from "./blob-download.js";
import { securityHeaders } from "./security-headers.js";
import { BLOB_ID_HEADER, createTusBridge, UPLOADS_PATH } from "./tus-bridge.js";

/** Options of {@link registerFileRoutes}. */
export interface FileRoutesOptions {
  /** The rate-limit hook of `registerRoutes` (keyed by account); without it nothing is limited. */
  rateLimit?: onRequestHookHandler;
  /** Web origins besides the server's own that may read tus answers (config.allowedOrigins). */
  allowedOrigins: readonly string[];
}

/**
 * The tus headers of a complete upload, with the blob it became: what a client resuming after the
 * last answer was lost needs.
 */
function completeUploadHeaders(size: number, blobId: string): Record<string, string> {
  return {
    "tus-resumable": "1.0.0",
    "upload-offset": String(size),
    "upload-length": String(size),
    [BLOB_ID_HEADER.toLowerCase()]: blobId,
    "cache-control": "no-store",
  };
}

/**
 * Registers the encrypted-file routes (docs/protocol.md "Files (binary routes)"): tus 1.0 at
 * `/v1/uploads` (POST creation, HEAD/PATCH/DELETE of an upload) and `GET`/`HEAD /v1/blobs/:blobId`.
 * Every one authenticates the bearer token first. A creation is checked (membership, size, quota,
 * metadata — `services/blobs/upload-admission.ts`) before tus sees it, an upload's HEAD/PATCH/DELETE
 * is the creating account's only (else 404), and those errors are the usual typed JSON; only then
 * is the raw request handed to tus. `PATCH` bodies (`application/offset+octet-stream`) are not
 * read by Fastify (a pass-through parser): tus streams them to disk.
 */
export function registerFileRoutes(
  app: FastifyInstance,
  services: Services,
  options: FileRoutesOptions,
): void {
  const { blobs } = services;
  const bridge = createTusBridge(blobs, options.allowedOrigins, app.log);
  app.addContentTypeParser("application/offset+octet-stream", (_request, _payload, done) =>
    done(null, undefined),
  );
  const limited = options.rateLimit
    ? { config: { vollyRateLimit: "account" as const }, onRequest: options.rateLimit }
    : {};
  /** Authenticates; a session made with an API key needs `scope` (uploads: send, downloads: read). */
  const auth = async (request: FastifyRequest, scope: ApiKeyScope = "send"): Promise<AuthContext> => {
    const device = await authenticateRequest(request, services.auth);
    requireScope(device.apiKey, scope);
    return device;
  };

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    await bridge.forward(request.raw, reply.raw, securityHeaders(request.protocol === "https"));
  };

  app.route({
    method: "POST",
    url: UPLOADS_PATH,
    ...limited,
    handler: async (request, reply) => {
      const device = await auth(request);
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === "string" ? value : undefined;
      };
      const id = await blobs.admission.admit(device, {
        length: header("upload-length"),
        metadata: header("upload-metadata"),
      });
      bridge.admitted(request.raw, id);
      await forward(request, reply);
    },
  });

  for (const method of ["HEAD", "PATCH", "DELETE"] as const) {
    app.route({
      method,
      url: `${UPLOADS_PATH}/:uploadId`,
      ...limited,
      handler: async (request, reply) => {
        const device = await auth(request);
        const { uploadId } = request.params as { uploadId: string };
        if (!UPLOAD_ID.test(uploadId)) throw new VollyError("VOLLY_E_NOT_FOUND");
        const upload = await blobs.access.ownUpload(device, uploadId);
        if (upload.state === "complete") {
          // The upload became a blob; tus no longer knows it. Its offset is its length; terminating
          // it removes the blob unless a message points at it already.
          if (method === "HEAD")
            return reply.code(200).headers(completeUploadHeaders(upload.size, upload.blobId)).send();
          if (method === "PATCH") throw new VollyError("VOLLY_E_NOT_FOUND");
          await blobs.cancelUnsent(uploadId);
          return reply.code(204).headers({ "tus-resumable": "1.0.0", "cache-control": "no-store" }).send();
        }
        await forward(request, reply);
        if (method === "DELETE" && reply.raw.statusCode === 204) await services.blobs.forget(uploadId);
      },
    });
  }

  const blobHandler = (withBody: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const device = await auth(request, "read");
    const { blobId } = parse(BlobParams, request.params);
    const { blob, path } = await blobs.access.readable(device, blobId);
    const file = await open(path).catch(() => {
      throw new VollyError("VOLLY_E_NOT_FOUND");
    });
    const range = parseRange(request.headers.range, blob.size);
    reply.headers({
      "accept-ranges": "bytes",
      etag: `"${blob.blobId}"`,
      "cache-control": "private, max-age=31536000, immutable",
    });
    if (range === "unsatisfiable") {
      await file.close();
      const error = new VollyError("VOLLY_E_BAD_REQUEST", "The range starts past the end of the blob.", {
        size: blob.size,
      });
      return reply
        .code(416)
        .header("content-range", `bytes */${blob.size}`)
        .type("application/json")
        .send(error.toBody());
    }
    const { start, end } = range ?? { start: 0, end: blob.size - 1 };
    reply
      .code(range ? 206 : 200)
      .type("application/octet-stream")
      .header("content-length", String(end - start + 1));
    if (range) reply.header("content-range", `bytes ${start}-${end}/${blob.size}`);
    if (!withBody) {
      await file.close();
      return reply.send();
    }
    return reply.send(file.createReadStream({ start, end }));
  };
  app.route({
    method: "GET",
    url: "/v1/blobs/:blobId",
    exposeHeadRoute: false,
    ...limited,
    handler: blobHandler(true),
  });
  app.route({ method: "HEAD", url: "/v1/blobs/:blobId", ...limited, handler: blobHandler(false) });
}
