import { VollyError } from "@volly/protocol";

/**
 * Why an SFrame operation failed; `details.cause` of {@link SFrameError}.
 *
 * Decryption (code `VOLLY_E_DECRYPT_FAILED`): `malformed` (the header or ciphertext does not parse,
 * RFC 9605 §4.3), `unknown-kid` (no key for the header's KID: the frame MAY be retried once the key
 * arrives, §4.4.4), `authentication` (the AEAD tag does not verify: wrong key, other epoch,
 * tampered header, metadata or ciphertext), `replay` (the KID's CTR was already accepted, or is
 * older than the replay window, §9.3/§7.3), `own-kid` (the frame carries this context's own
 * encryption KID: a loop, or another sender misusing it).
 *
 * Encryption and key management (code `VOLLY_E_BAD_REQUEST`): `no-key` (no key for the KID),
 * `key-usage` (a decryption-only key asked to encrypt, §4.4.1), `counter-exhausted`
 * (the KID's CTR reached 2^64 − 1: never reuse a nonce, §9.3), `invalid-argument`.
 */
export type SFrameErrorCause =
  | "malformed"
  | "unknown-kid"
  | "authentication"
  | "replay"
  | "own-kid"
  | "no-key"
  | "key-usage"
  | "counter-exhausted"
  | "invalid-argument";

const DECRYPT_CAUSES: ReadonlySet<SFrameErrorCause> = new Set([
  "malformed",
  "unknown-kid",
  "authentication",
  "replay",
  "own-kid",
]);

/**
 * An SFrame failure (RFC 9605): a {@link VollyError} with `details.cause` ({@link SFrameErrorCause})
 * and, when known, `details.kid` (decimal string). A failed decryption never returns bytes, and
 * leaves the context's replay state untouched.
 */
export class SFrameError extends VollyError {
  /**
   * @param cause what failed
   * @param message human-readable explanation (no key material)
   * @param kid the KID concerned, when known
   */
  constructor(cause: SFrameErrorCause, message: string, kid?: bigint) {
    super(
      DECRYPT_CAUSES.has(cause) ? "VOLLY_E_DECRYPT_FAILED" : "VOLLY_E_BAD_REQUEST",
      message,
      kid === undefined ? { cause } : { cause, kid: kid.toString() },
    );
    this.name = "SFrameError";
  }
}
