/**
 * What the conversation list says of a message with files and no caption: "📷 Photo",
 * "🎤 Voice message (0:07)", "📎 itinerary.pdf", "📎 3 files"; "📎 Sending files…" while its upload
 * runs; "" for a message without files.
 */
import type { MessageRecord } from "../../worker/rpc-types.js";
import { formatDuration } from "./format.js";

/** The preview of `message`'s files (see the module comment); "" when it has none. */
export function attachmentPreview(message: Pick<MessageRecord, "attachments" | "upload">): string {
  const files = message.attachments ?? [];
  if (files.length === 0) return message.upload ? "📎 Sending files…" : "";
  const [first] = files;
  if (files.length > 1 || !first) {
    const kinds = new Set(files.map((f) => f.kind));
    if (kinds.size === 1 && kinds.has("image")) return `📷 ${files.length} photos`;
    return `📎 ${files.length} files`;
  }
  const labels = {
    image: () => "📷 Photo",
    video: () => `🎬 Video (${formatDuration(first.durationMs ?? 0)})`,
    voice: () => `🎤 Voice message (${formatDuration(first.durationMs ?? 0)})`,
    file: () => `📎 ${first.name}`,
  } as const;
  return labels[first.kind]();
}
