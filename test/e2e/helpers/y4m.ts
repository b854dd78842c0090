import { writeFileSync } from "node:fs";
import QRCode from "qrcode";

/**
 * Writes a Y4M video (YUV4MPEG2: a text header, then frames of raw YUV 4:2:0 — a full-size luma
 * plane and two quarter-size chroma planes, after "FRAME\n") showing the QR code of `text`, black
 * on white with a quiet zone: what Chromium's fake camera plays with
 * `--use-file-for-fake-video-capture=FILE.y4m`.
 *
 * @param path where to write the file
 * @param text what the QR code carries
 * @param size the frame's width and height in pixels (even)
 * @param frames how many identical frames (Chromium loops the file)
 */
export function writeQrY4m(path: string, text: string, size = 480, frames = 4): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const modules = qr.modules.size;
  const quiet = 4;
  const scale = Math.floor(size / (modules + 2 * quiet));
  const offset = Math.floor((size - modules * scale) / 2);
  const luma = Buffer.alloc(size * size, 235);
  for (let y = 0; y < modules; y++) {
    for (let x = 0; x < modules; x++) {
      if (!qr.modules.get(y, x)) continue;
      for (let dy = 0; dy < scale; dy++) {
        const row = (offset + y * scale + dy) * size + offset + x * scale;
        luma.fill(16, row, row + scale);
      }
    }
  }
  const chroma = Buffer.alloc((size / 2) * (size / 2) * 2, 128);
  const header = Buffer.from(`YUV4MPEG2 W${size} H${size} F10:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma]);
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}
