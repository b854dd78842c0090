import type { AttachmentKind } from "@volly/protocol";

/** Media types of common file name extensions (lower case, without the dot). */
const TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  heic: "image/heic",
  svg: "image/svg+xml",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  mkv: "video/x-matroska",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  oga: "audio/ogg",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  wav: "audio/wav",
  flac: "audio/flac",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  json: "application/json",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  html: "text/html",
};

/**
 * The media type and attachment kind `volly send --file` gives a file, from its name's extension:
 * images and videos show as such (no dimensions: the CLI does not decode media); anything else,
 * audio included, is a plain "file" (voice messages are recorded in the web app).
 */
export function fileTypeOf(name: string): { mime: string; kind: AttachmentKind } {
  const dot = name.lastIndexOf(".");
  const mime = (dot > 0 && TYPES[name.slice(dot + 1).toLowerCase()]) || "application/octet-stream";
  const kind: AttachmentKind =
    mime.startsWith("image/") && mime !== "image/svg+xml"
      ? "image"
      : mime.startsWith("video/")
        ? "video"
        : "file";
  return { mime, kind };
}
