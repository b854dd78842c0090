import { createHash, randomBytes } from "node:crypto";
import { toBase64Url } from "@volly/protocol";
import { httpbis } from "http-message-signatures";
import {
  type InnerList,
  type Item,
  type Parameters,
  serializeDictionary,
  serializeInnerList,
  serializeItem,
} from "structured-headers";
import { signEd25519 } from "./ed25519.js";
import type { ServerSigningKey } from "./server-key.js";

/** The label of Volly's signature in `Signature-Input` and `Signature` (RFC 9421 §4). */
export const SIGNATURE_LABEL = "volly";
/** The `tag` parameter of Volly's federation signatures (RFC 9421 §2.3): the application profile. */
export const SIGNATURE_TAG = "volly-federation";
/** The `alg` parameter of Volly's federation signatures (RFC 9421 §3.3.6). */
export const SIGNATURE_ALG = "ed25519";
/** The header naming the calling server (a covered component of every federation signature). */
export const ORIGIN_HEADER = "volly-origin";
/** How long a signature is valid after its `created` (s): its `expires` is created + this. */
export const SIGNATURE_LIFETIME_SECONDS = 60;

/** The components every federation signature covers, in order; `content-digest` joins when there is a body. */
export const REQUIRED_COMPONENTS = ["@method", "@target-uri", ORIGIN_HEADER] as const;

/** A request as the signature base sees it (RFC 9421 §2: method, target URI, header fields). */
export interface SignableRequest {
  /** The HTTP method (compared upper-cased, RFC 9421 §2.2.1). */
  method: string;
  /** The absolute target URI (RFC 9421 §2.2.2), exactly as both sides reconstruct it. */
  url: string;
  /** Header fields by name (any case); arrays are multiple field lines (RFC 9421 §2.1). */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The `Content-Digest` field value of a body (RFC 9530 §2): `sha-256=:<base64 of SHA-256(body)>:`,
 * a Structured Field Dictionary (RFC 8941 §3.2) with one byte-sequence member.
 */
export function contentDigest(body: Uint8Array): string {
  const digest = createHash("sha256").update(body).digest();
  return serializeDictionary(new Map([["sha-256", [digest, new Map()] as Item]]));
}

/**
 * The signature base of a request for one signature (RFC 9421 §2.5): one line per covered component
 * of `signatureInput` (derived components and header fields as `http-message-signatures` derives
 * them, RFC 9421 §2.1–2.2), then the `"@signature-params"` line, the canonical serialization of
 * `signatureInput` (RFC 8941 §4.1.1.1).
 *
 * @param signatureInput the signature's inner list: covered components (sf-strings, with their
 *   component parameters) and signature parameters
 * @throws Error when a covered component cannot be derived (a missing header field, an unknown or
 *   malformed component); the verifier turns it into VOLLY_E_FEDERATION_SIGNATURE_INVALID
 */
export function signatureBase(request: SignableRequest, signatureInput: InnerList): string {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = value;
  }
  const fields = signatureInput[0].map((item) => {
    if (typeof item[0] !== "string") throw new Error("a covered component is not a string");
    return serializeItem(item);
  });
  const base = httpbis.createSignatureBase({ fields }, { method: request.method, url: request.url, headers });
  base.push(['"@signature-params"', [serializeInnerList(signatureInput)]]);
  return httpbis.formatSignatureBase(base);
}

/**
 * Signs a federation request (RFC 9421 §3.1) as `signer.serverName` with its Ed25519 key, and
 * returns the header fields to add to it:
 * - `volly-origin`: the signing server's name;
 * - `content-digest` (RFC 9530, sha-256) when `body` is present and not empty;
 * - `signature-input` and `signature` under the label {@link SIGNATURE_LABEL}, covering
 *   `"@method" "@target-uri" ["content-digest"] "volly-origin"` with the parameters `created`
 *   (s), `expires` (created + {@link SIGNATURE_LIFETIME_SECONDS}), `nonce` (16 random bytes,
 *   base64url), `keyid` (`<serverName>#<keyId>`), `alg="ed25519"` and `tag="volly-federation"`.
 *
 * The receiver must see exactly these method, URL and body bytes: send the body serialized once.
 *
 * @param input.url the absolute URL the request is sent to (`@target-uri`)
 * @param input.headers the request's other header fields (not covered; any `volly-origin` or
 *   `content-digest` among them is superseded by the returned ones)
 * @param now ms since the Unix epoch, default `Date.now()`
 */
export async function signRequest(
  input: { method: string; url: string; headers: Record<string, string>; body?: Uint8Array },
  signer: { serverName: string; key: ServerSigningKey },
  now: number = Date.now(),
): Promise<Record<string, string>> {
  const hasBody = input.body !== undefined && input.body.byteLength > 0;
  const added: Record<string, string> = { [ORIGIN_HEADER]: signer.serverName };
  if (hasBody) added["content-digest"] = contentDigest(input.body!);
  const components = hasBody
    ? ["@method", "@target-uri", "content-digest", ORIGIN_HEADER]
    : ["@method", "@target-uri", ORIGIN_HEADER];
  const created = Math.floor(now / 1000);
  const params: Parameters = new Map<string, string | number>([
    ["created", created],
    ["expires", created + SIGNATURE_LIFETIME_SECONDS],
    ["nonce", toBase64Url(randomBytes(16))],
    ["keyid", `${signer.serverName}#${signer.key.keyId}`],
    ["alg", SIGNATURE_ALG],
    ["tag", SIGNATURE_TAG],
  ]);
  const signatureInput: InnerList = [components.map((name): Item => [name, new Map()]), params];
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) {
    if (!(name.toLowerCase() in added)) headers[name] = value;
  }
  const base = signatureBase(
    { method: input.method, url: input.url, headers: { ...headers, ...added } },
    signatureInput,
  );
  const signature = await signEd25519(
    signer.key.privateKey,
    signer.key.publicKey,
    new TextEncoder().encode(base),
  );
  return {
    ...added,
    "signature-input": serializeDictionary(new Map([[SIGNATURE_LABEL, signatureInput]])),
    signature: serializeDictionary(new Map([[SIGNATURE_LABEL, [signature, new Map()] as Item]])),
  };
}
