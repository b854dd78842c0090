import { timingSafeEqual } from "node:crypto";
import { type ErrorCode, FederationKeyId, matches, SERVER_NAME_PATTERN, VollyError } from "@volly/protocol";
import { type Dictionary, type InnerList, isInnerList, parseDictionary } from "structured-headers";
import { verifyEd25519 } from "./ed25519.js";
import type { NonceCache } from "./nonce-cache.js";
import {
  contentDigest,
  ORIGIN_HEADER,
  REQUIRED_COMPONENTS,
  SIGNATURE_ALG,
  SIGNATURE_LABEL,
  SIGNATURE_TAG,
  signatureBase,
} from "./request-signing.js";

/** Default clock skew a verifier tolerates between a signature's `created` and its own clock (ms). */
export const DEFAULT_MAX_SKEW_MS = 300_000;

/** The `nonce` parameter a Volly signature carries: 16–64 base64url characters (16 random bytes: 22). */
const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
const SERVER_NAME = new RegExp(SERVER_NAME_PATTERN);
/** Largest `Signature-Input` or `Signature` field a verifier parses (characters). */
const MAX_SIGNATURE_FIELD_CHARS = 8192;

/** A signed federation request as its receiver saw it. */
export interface IncomingSignedRequest {
  /** The request's method. */
  method: string;
  /**
   * The absolute target URI the receiver reconstructs: its OWN public federation URL followed by
   * the request target (`${federationUrl}${request.url}`), never built from the Host header.
   */
  url: string;
  /** The request's header fields (lower-case names as Node gives them; arrays: repeated fields). */
  headers: Record<string, string | string[] | undefined>;
  /** The exact body bytes received, when there is a body. */
  body?: Uint8Array;
}

/** Checks the federation signatures of incoming requests (see {@link createRequestVerifier}). */
export interface RequestVerifier {
  /**
   * Verifies the `volly` signature of a request (RFC 9421 §3.2) and records its nonce.
   *
   * @returns the name of the server that signed it
   * @throws VollyError VOLLY_E_FEDERATION_SIGNATURE_INVALID (details.reason: `missing`, `malformed`,
   *   `components`, `alg`, `tag`, `keyid`, `origin`, `content-digest`, `unknown-key`,
   *   `bad-signature`); VOLLY_E_FEDERATION_STALE (created outside the allowed skew, or expired);
   *   VOLLY_E_FEDERATION_REPLAYED (nonce already seen); whatever `resolveKey` throws (e.g.
   *   VOLLY_E_FEDERATION_UNREACHABLE when the signer's document cannot be fetched)
   */
  verify(input: IncomingSignedRequest): Promise<{ serverName: string }>;
}

function invalid(reason: string, message?: string): VollyError {
  return new VollyError("VOLLY_E_FEDERATION_SIGNATURE_INVALID", message, { reason });
}

function fail(code: ErrorCode, reason: string): VollyError {
  return new VollyError(code, undefined, { reason });
}

/** One header field's value: repeated field lines joined with ", " (RFC 9110 §5.3); absent: undefined. */
function field(headers: IncomingSignedRequest["headers"], name: string): string | undefined {
  let value: string | string[] | undefined;
  for (const [key, v] of Object.entries(headers)) {
    if (key.toLowerCase() === name && v !== undefined) {
      value = value === undefined ? v : [...[value].flat(), ...[v].flat()];
    }
  }
  return Array.isArray(value) ? value.join(", ") : value;
}

function dictionary(headers: IncomingSignedRequest["headers"], name: string): Dictionary {
  const value = field(headers, name);
  if (value === undefined) throw invalid("missing", `The request has no ${name} field.`);
  if (value.length > MAX_SIGNATURE_FIELD_CHARS) throw invalid("malformed", `The ${name} field is too long.`);
  try {
    return parseDictionary(value);
  } catch {
    throw invalid("malformed", `The ${name} field is not a structured field dictionary.`);
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/**
 * Creates the verifier of incoming federation requests (RFC 9421 §3.2 with Volly's profile). A
 * request passes when, in this order:
 * 1. `Signature-Input` and `Signature` parse (RFC 8941) and hold a `volly` member each, the
 *    signature 64 bytes;
 * 2. its covered components include `"@method" "@target-uri" "volly-origin"`, and
 *    `"content-digest"` when the request has a (non-empty) body; its parameters carry integer
 *    `created` and `expires`, a `nonce`, `alg="ed25519"`, `tag="volly-federation"` and
 *    `keyid="<server>#<keyId>"` with a valid server name (`SERVER_NAME_PATTERN`) and key id;
 * 3. the `volly-origin` field is exactly that server name;
 * 4. `created` is within ±`maxSkewMs` of now and `expires` has not passed (else STALE);
 * 5. `Content-Digest` (RFC 9530), when covered or when there is a body, has a `sha-256` member equal
 *    to the SHA-256 of the body bytes;
 * 6. `resolveKey(server, keyId)` gives a key and the Ed25519 signature over the signature base
 *    (RFC 9421 §2.5, built from `input.url` as `@target-uri`) verifies with it;
 * 7. its nonce was not seen from that server (recorded only now, after the signature verified,
 *    until the request would go stale).
 *
 * @param options.resolveKey the 32-byte Ed25519 public key a server publishes under a key id, or
 *   undefined (usually `ServerDirectory.key`)
 * @param options.nonces where accepted nonces are remembered
 * @param options.now clock, ms since the Unix epoch; default `Date.now`
 * @param options.maxSkewMs default {@link DEFAULT_MAX_SKEW_MS}
 */
export function createRequestVerifier(options: {
  resolveKey(serverName: string, keyId: string): Promise<Uint8Array | undefined>;
  nonces: NonceCache;
  now?: () => number;
  maxSkewMs?: number;
}): RequestVerifier {
  const now = options.now ?? Date.now;
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  return {
    async verify(input) {
      const inputs = dictionary(input.headers, "signature-input");
      const signatures = dictionary(input.headers, "signature");
      const signatureInput = inputs.get(SIGNATURE_LABEL);
      const signatureMember = signatures.get(SIGNATURE_LABEL);
      if (signatureInput === undefined || signatureMember === undefined) {
        throw invalid("missing", `The request has no "${SIGNATURE_LABEL}" signature.`);
      }
      if (!isInnerList(signatureInput))
        throw invalid("malformed", "The signature input is not an inner list.");
      if (!(signatureMember[0] instanceof ArrayBuffer) || signatureMember[0].byteLength !== 64) {
        throw invalid("malformed", "The signature is not a 64-byte byte sequence.");
      }
      const signature = new Uint8Array(signatureMember[0]);

      const hasBody = input.body !== undefined && input.body.byteLength > 0;
      const covered = (name: string) =>
        signatureInput[0].some(([value, params]) => value === name && params.size === 0);
      const required = hasBody ? [...REQUIRED_COMPONENTS, "content-digest"] : [...REQUIRED_COMPONENTS];
      const missing = required.filter((name) => !covered(name));
      if (missing.length > 0) {
        throw new VollyError(
          "VOLLY_E_FEDERATION_SIGNATURE_INVALID",
          `The signature does not cover ${missing.join(", ")}.`,
          { reason: "components" },
        );
      }

      const params = signatureInput[1];
      const created = params.get("created");
      const expires = params.get("expires");
      const nonce = params.get("nonce");
      const keyid = params.get("keyid");
      if (
        !Number.isInteger(created) ||
        !Number.isInteger(expires) ||
        typeof nonce !== "string" ||
        !NONCE_PATTERN.test(nonce) ||
        typeof keyid !== "string"
      ) {
        throw invalid("malformed", "The signature lacks created, expires, nonce or keyid.");
      }
      if (params.get("alg") !== SIGNATURE_ALG) throw invalid("alg", 'The signature\'s alg is not "ed25519".');
      if (params.get("tag") !== SIGNATURE_TAG)
        throw invalid("tag", `The signature's tag is not "${SIGNATURE_TAG}".`);
      const hash = keyid.lastIndexOf("#");
      const serverName = keyid.slice(0, hash);
      const keyId = keyid.slice(hash + 1);
      if (
        hash < 0 ||
        !SERVER_NAME.test(serverName) ||
        serverName.length > 261 ||
        !matches(FederationKeyId, keyId)
      ) {
        throw invalid("keyid", "The signature's keyid is not <server>#<key id>.");
      }
      if (field(input.headers, ORIGIN_HEADER) !== serverName) {
        throw invalid("origin", `The ${ORIGIN_HEADER} field is not the signing server.`);
      }

      const t = now();
      const createdMs = (created as number) * 1000;
      const expiresMs = (expires as number) * 1000;
      if (Math.abs(t - createdMs) > maxSkewMs) throw fail("VOLLY_E_FEDERATION_STALE", "created");
      if (expiresMs < t || expiresMs < createdMs) throw fail("VOLLY_E_FEDERATION_STALE", "expires");

      if (hasBody || covered("content-digest")) {
        const got = field(input.headers, "content-digest");
        let digest: Dictionary | undefined;
        try {
          digest = got === undefined ? undefined : parseDictionary(got);
        } catch {
          digest = undefined;
        }
        const sha256 = digest?.get("sha-256")?.[0];
        const expected = parseDictionary(contentDigest(input.body ?? new Uint8Array())).get(
          "sha-256",
        )![0] as ArrayBuffer;
        if (
          !(sha256 instanceof ArrayBuffer) ||
          !bytesEqual(new Uint8Array(sha256), new Uint8Array(expected))
        ) {
          throw invalid("content-digest", "The Content-Digest does not match the body.");
        }
      }

      const publicKey = await options.resolveKey(serverName, keyId);
      if (publicKey === undefined) throw invalid("unknown-key", "The signing key is not the server's.");
      let base: string;
      try {
        base = signatureBase(input, signatureInput as InnerList);
      } catch {
        throw invalid("components", "A covered component is missing from the request.");
      }
      if (!(await verifyEd25519(publicKey, new TextEncoder().encode(base), signature))) {
        throw invalid("bad-signature", "The signature does not verify.");
      }

      // The request is acceptable until the earlier of its expiry and the end of the skew window.
      const staleAt = Math.min(expiresMs, createdMs + maxSkewMs) + 1000;
      if (options.nonces.seen(serverName, nonce, staleAt)) {
        throw fail("VOLLY_E_FEDERATION_REPLAYED", "nonce");
      }
      return { serverName };
    },
  };
}
