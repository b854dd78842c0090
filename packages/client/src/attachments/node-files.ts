import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { VollyError } from "@volly/protocol";
import type { LocalFiles } from "./local-files.js";

/** {@link LocalFiles} over `node:fs`: streams of 64 KiB, atomic writes by rename. */
export const nodeLocalFiles: LocalFiles = {
  async size(path) {
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new VollyError("VOLLY_E_USAGE", `Cannot read ${path}: ${err.code ?? err.message}`);
    });
    if (!info.isFile()) throw new VollyError("VOLLY_E_USAGE", `${path} is not a regular file.`);
    return info.size;
  },
  async *read(path) {
    for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
      yield chunk as Uint8Array;
    }
  },
  async write(path, chunks) {
    const temporary = `${path}.${randomUUID()}.part`;
    try {
      await pipeline(chunks, createWriteStream(temporary, { flags: "wx", mode: 0o600 }));
      await rename(temporary, path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  },
};
