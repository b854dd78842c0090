/**
 * The bytes of an encoded VP8 frame that travel unencrypted in front of its SFrame ciphertext:
 * the frame tag (3 bytes, RFC 6386 §9.1) of every frame, plus the start code and dimensions
 * (7 bytes, §9.2) of a key frame — 10 bytes for key frames, 3 for delta frames, as in the WebRTC
 * Encoded Transform samples. The receiving browser's VP8 depacketizer reads the first byte to tell a
 * key frame (P bit 0) from a delta frame, and a key frame's dimensions: with the whole frame
 * sealed it reads the SFrame config byte instead, whose last bit is the CTR length's, so once the
 * sender's counter is between 256 and 65,535 no frame looks like a key frame and a receiver that
 * joins (or asks for a key frame) never starts decoding. These bytes are authenticated as SFrame
 * metadata (RFC 9605 §4.4, AAD): a changed prefix fails to open.
 */

/** What is known of the frame's codec (`RTCEncodedVideoFrame.getMetadata().mimeType` where the browser tells). */
export interface FrameCodec {
  mimeType?: string;
}

/**
 * How many leading bytes of `frame` stay in the clear: 10 (VP8 key frame), 3 (VP8 delta frame),
 * at most the frame's length; 0 for another codec or an empty frame.
 * @param frame the encoded frame (sender: the plaintext; receiver: the received bytes, whose prefix
 *   is the sender's clear prefix)
 * @param codec the frame's codec, when the browser reports it (absent: VP8, what calls negotiate)
 */
export function vp8ClearBytes(frame: Uint8Array, codec: FrameCodec = {}): number {
  if (codec.mimeType !== undefined && codec.mimeType.toLowerCase() !== "video/vp8") return 0;
  const first = frame[0];
  if (first === undefined) return 0;
  return Math.min((first & 0x01) === 0 ? 10 : 3, frame.length);
}
