import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { HttpDevice } from "./app.js";

/** Random "ciphertext" of `size` bytes and its blob id (SHA-256, base64url): the server never decrypts. */
export function fakeBlob(size: number): { bytes: Buffer; blobId: string } {
  const bytes = randomBytes(size);
  return { bytes, blobId: createHash("sha256").update(bytes).digest("base64url") };
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** A raw tus 1.0 client (fetch with tus headers), as any tus client speaks to the server. */
export function tusClient(base: string) {
  const headers = (device: HttpDevice, extra: Record<string, string> = {}) => ({
    authorization: device.auth.authorization,
    "tus-resumable": "1.0.0",
    ...extra,
  });
  return {
    /** `POST /v1/uploads` (creation, no body); without `blobId` no `sha256` is declared. */
    create(device: HttpDevice, groupId: string, length: number, blobId?: string): Promise<Response> {
      const sha256 = blobId === undefined ? "" : `,sha256 ${b64(blobId)}`;
      return fetch(`${base}/v1/uploads`, {
        method: "POST",
        headers: headers(device, {
          "upload-length": String(length),
          "upload-metadata": `conversation ${b64(groupId)}${sha256}`,
        }),
      });
    },
    /** `PATCH <location>` with `body` at `offset`. */
    patch(device: HttpDevice, location: string, offset: number, body: Buffer): Promise<Response> {
      return fetch(`${base}${location}`, {
        method: "PATCH",
        headers: headers(device, {
          "content-type": "application/offset+octet-stream",
          "upload-offset": String(offset),
        }),
        body: new Uint8Array(body),
      });
    },
    /** `HEAD <location>`. */
    head(device: HttpDevice, location: string): Promise<Response> {
      return fetch(`${base}${location}`, { method: "HEAD", headers: headers(device) });
    },
    /** `DELETE <location>` (termination). */
    terminate(device: HttpDevice, location: string): Promise<Response> {
      return fetch(`${base}${location}`, { method: "DELETE", headers: headers(device) });
    },
    /**
     * Starts a PATCH over a raw socket, writes `body`, and leaves the request open (not ended): the
     * caller drops it with `abort()` once the server has received what it wants.
     */
    startPatch(device: HttpDevice, location: string, offset: number, total: number, body: Uint8Array) {
      const req = httpRequest(`${base}${location}`, {
        method: "PATCH",
        headers: headers(device, {
          "content-type": "application/offset+octet-stream",
          "upload-offset": String(offset),
          "content-length": String(total - offset),
        }),
      });
      req.on("error", () => {});
      req.write(body);
      return { abort: () => req.destroy() };
    },
    /** Uploads `bytes` in one creation + one PATCH; returns the PATCH response. */
    async upload(device: HttpDevice, groupId: string, bytes: Buffer, blobId?: string): Promise<Response> {
      const created = await this.create(device, groupId, bytes.length, blobId);
      if (created.status !== 201) return created;
      return this.patch(device, created.headers.get("location") ?? "", 0, bytes);
    },
    /** `GET`/`HEAD /v1/blobs/:blobId` with optional `Range`. */
    blob(
      device: HttpDevice,
      blobId: string,
      init: { method?: string; range?: string } = {},
    ): Promise<Response> {
      return fetch(`${base}/v1/blobs/${blobId}`, {
        method: init.method ?? "GET",
        headers: { ...device.auth, ...(init.range ? { range: init.range } : {}) },
      });
    },
  };
}
