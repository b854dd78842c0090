import jsQR from "jsqr";

/**
 * Decodes a QR code in one video frame or image (jsQR over its RGBA pixels).
 *
 * @param pixels RGBA bytes, 4 per pixel, row by row (an `ImageData`'s `data`)
 * @param width pixels per row
 * @param height rows
 * @returns the code's text, or undefined when the frame holds no readable code
 */
export function decodeQr(pixels: Uint8ClampedArray, width: number, height: number): string | undefined {
  const found = jsQR(pixels, width, height, { inversionAttempts: "attemptBoth" });
  return found?.data || undefined;
}
