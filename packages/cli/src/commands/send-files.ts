import { basename } from "node:path";
import type { MessageRecord, SendOptions as MessageSendOptions, VollyClient } from "@volly/client";
import { fileTypeOf } from "../file-types.js";
import type { Output } from "../output.js";

/**
 * `volly send CONV [TEXT] --file PATH…`: queues a message with files (the text is their caption),
 * then waits until it is uploaded and stored by the server. A file over the server's limit fails
 * before anything is read or uploaded (VOLLY_E_TOO_LARGE, exit 6). Progress goes to stderr when it
 * is a terminal. Interrupted (a dropped connection for good, the process killed), the upload stays
 * in this device's outbox and the next command that connects continues it from where the server's
 * copy stops, and sends the message once.
 */
export async function sendFiles(
  client: VollyClient,
  out: Output,
  conversationId: string,
  text: string | undefined,
  paths: string[],
  options: MessageSendOptions,
): Promise<void> {
  const files = paths.map((path) => ({
    source: { path },
    name: basename(path),
    ...fileTypeOf(basename(path)),
  }));
  const queued = await client.attachments.send(conversationId, files, {
    ...(text !== undefined ? { text } : {}),
    ...options,
  });
  const stopProgress = process.stderr.isTTY ? showProgress(client, queued.id) : () => {};
  let sent: MessageRecord;
  try {
    sent = await client.attachments.whenSent(queued.id);
  } finally {
    stopProgress();
  }
  out.result(
    {
      id: sent.id,
      conversationId: sent.conversationId,
      seq: sent.seq,
      sentAt: sent.sentAt,
      attachments: (sent.attachments ?? []).map((a) => ({
        id: a.blobId,
        name: a.name,
        size: a.size,
        mime: a.mime,
        sha256: a.blobId,
      })),
      ...(sent.threadId !== undefined ? { threadId: sent.threadId } : {}),
    },
    `sent ${sent.id}`,
  );
}

/** Shows `uploading 42% (3.1 MB/s)` on one stderr line; returns the function that clears it. */
function showProgress(client: VollyClient, messageId: string): () => void {
  let shown = false;
  const off = client.attachments.progress.add((p) => {
    if (p.messageId !== messageId) return;
    const percent = p.totalBytes > 0 ? Math.floor((p.sentBytes * 100) / p.totalBytes) : 100;
    const speed = p.bytesPerSecond > 0 ? ` (${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s)` : "";
    process.stderr.write(`\r\x1b[2Kuploading ${percent}%${speed}`);
    shown = true;
  });
  return () => {
    off();
    if (shown) process.stderr.write("\r\x1b[2K");
  };
}
