import { readFileSync } from "node:fs";
import { hexToBytes as fromHex, bytesToHex as toHex } from "@noble/hashes/utils.js";
import { VollyError } from "@volly/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeSFrameHeader,
  deriveSFrameKeyMaterial,
  encodeSFrameHeader,
  importSFrameKey,
  SFRAME_MAX_VALUE,
  SFrameContext,
  SFrameError,
  sframeCipherSuite,
  sframeDecrypt,
  sframeEncrypt,
  sframeNonce,
} from "../src/index.js";

/** RFC 9605 Appendix C.1 (all 289 header cases) and C.4 (the AES-GCM suites 0x0004, 0x0005). */
interface Vectors {
  header: { kid: string; ctr: string; encoded: string }[];
  sframe: {
    cipher_suite: number;
    kid: number;
    ctr: number;
    base_key: string;
    sframe_secret: string;
    sframe_key: string;
    sframe_salt: string;
    metadata: string;
    nonce: string;
    pt: string;
    ct: string;
  }[];
}
const vectors: Vectors = JSON.parse(
  readFileSync(new URL("./fixtures/rfc9605-vectors.json", import.meta.url), "utf8"),
);

async function expectCause(promise: Promise<unknown>, cause: string, code = "VOLLY_E_DECRYPT_FAILED") {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected an SFrameError "${cause}"`).toBeInstanceOf(SFrameError);
  expect(err).toBeInstanceOf(VollyError);
  expect((err as VollyError).code).toBe(code);
  expect((err as VollyError).details?.cause).toBe(cause);
}

function malformed(bytes: Uint8Array): void {
  expect(() => decodeSFrameHeader(bytes)).toThrow(SFrameError);
  try {
    decodeSFrameHeader(bytes);
  } catch (err) {
    expect((err as SFrameError).details?.cause).toBe("malformed");
  }
}

const randomKey = (n = 32) => crypto.getRandomValues(new Uint8Array(n));

describe("SFrame header (RFC 9605 §4.3)", () => {
  it("encodes and decodes every header vector of Appendix C.1", () => {
    expect(vectors.header).toHaveLength(289);
    for (const v of vectors.header) {
      const kid = BigInt(v.kid);
      const ctr = BigInt(v.ctr);
      expect(toHex(encodeSFrameHeader({ kid, ctr })), `kid ${kid} ctr ${ctr}`).toBe(v.encoded);
      const bytes = fromHex(`${v.encoded}abcdef`);
      expect(decodeSFrameHeader(bytes)).toEqual({ kid, ctr, length: v.encoded.length / 2 });
    }
  });

  it("round-trips any KID and CTR in 0 … 2^64 − 1, in at most 17 bytes", () => {
    const value = fc.bigInt({ min: 0n, max: SFRAME_MAX_VALUE });
    fc.assert(
      fc.property(value, value, (kid, ctr) => {
        const encoded = encodeSFrameHeader({ kid, ctr });
        expect(encoded.length).toBeLessThanOrEqual(17);
        expect(decodeSFrameHeader(encoded)).toEqual({ kid, ctr, length: encoded.length });
      }),
    );
  });

  it("refuses empty, truncated and non-minimal headers with a typed error", () => {
    malformed(new Uint8Array(0));
    for (const v of vectors.header) {
      const bytes = fromHex(v.encoded);
      if (bytes.length > 1) malformed(bytes.subarray(0, bytes.length - 1));
    }
    malformed(fromHex("8005")); // KID 5 in the extended form: belongs in the config byte
    malformed(fromHex("0805")); // CTR 5 likewise
    malformed(fromHex("900010")); // KID 0x10 with a leading zero byte
    malformed(fromHex("0900ff")); // CTR 0xff with a leading zero byte
  });

  it("refuses values outside 0 … 2^64 − 1", () => {
    expect(() => encodeSFrameHeader({ kid: -1n, ctr: 0n })).toThrow(SFrameError);
    expect(() => encodeSFrameHeader({ kid: 0n, ctr: SFRAME_MAX_VALUE + 1n })).toThrow(SFrameError);
  });
});

describe("SFrame key schedule and frame encryption (RFC 9605 §4.4, Appendix C.4)", () => {
  for (const v of vectors.sframe) {
    const suite = sframeCipherSuite(v.cipher_suite);
    it(`${suite.name}: sframe_secret, sframe_key, sframe_salt, nonce and ciphertext match`, async () => {
      const kid = BigInt(v.kid);
      const ctr = BigInt(v.ctr);
      const material = deriveSFrameKeyMaterial(suite, kid, fromHex(v.base_key));
      expect(toHex(material.sframeSecret)).toBe(v.sframe_secret);
      expect(toHex(material.sframeKey)).toBe(v.sframe_key);
      expect(toHex(material.sframeSalt)).toBe(v.sframe_salt);
      expect(toHex(sframeNonce(material.sframeSalt, ctr))).toBe(v.nonce);

      const key = await importSFrameKey(suite, kid, fromHex(v.base_key));
      const ct = await sframeEncrypt(key, ctr, fromHex(v.pt), fromHex(v.metadata));
      expect(toHex(ct)).toBe(v.ct);
      expect(toHex(await sframeDecrypt(key, fromHex(v.ct), fromHex(v.metadata)))).toBe(v.pt);
    });
  }

  it("refuses cipher suites it does not implement", () => {
    expect(() => sframeCipherSuite(0x0001)).toThrow(TypeError);
    expect(() => new SFrameContext({ cipherSuite: 0x0003 })).toThrow(TypeError);
  });
});

describe("SFrameContext: keys by KID, counters, replay and failures", () => {
  const plaintext = new TextEncoder().encode("an encoded video frame");

  async function pair(options: { replayWindow?: number } = {}) {
    const baseKey = randomKey();
    const sender = new SFrameContext(options);
    const receiver = new SFrameContext(options);
    await sender.addEncryptionKey(7n, baseKey);
    await receiver.addDecryptionKey(7n, baseKey);
    return { sender, receiver, baseKey };
  }

  it("seals with CTR 0, 1, 2 … and the receiver opens each frame", async () => {
    const { sender, receiver } = await pair();
    for (let i = 0; i < 3; i += 1) {
      const frame = await sender.encrypt(7n, plaintext);
      expect(decodeSFrameHeader(frame)).toMatchObject({ kid: 7n, ctr: BigInt(i) });
      const opened = await receiver.decrypt(frame);
      expect(opened).toEqual({ kid: 7n, ctr: BigInt(i), plaintext });
    }
  });

  it("concurrent encryptions never share a CTR", async () => {
    const { sender } = await pair();
    const frames = await Promise.all(Array.from({ length: 50 }, () => sender.encrypt(7n, plaintext)));
    const ctrs = new Set(frames.map((f) => decodeSFrameHeader(f).ctr));
    expect(ctrs.size).toBe(50);
  });

  it("a tampered frame, other metadata or another key never yields plaintext", async () => {
    const { sender, receiver } = await pair();
    const metadata = new Uint8Array([1, 2, 3]);
    const frame = await sender.encrypt(7n, plaintext, metadata);
    for (let i = 0; i < frame.length; i += 1) {
      const tampered = frame.slice();
      tampered[i]! ^= 0x01;
      // flipping a header bit may change the KID (unknown), the form (malformed) or the CTR (tag)
      const err = await receiver.decrypt(tampered, metadata).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `byte ${i}`).toBeInstanceOf(SFrameError);
      expect(["authentication", "unknown-kid", "malformed"]).toContain((err as SFrameError).details?.cause);
    }
    await expectCause(receiver.decrypt(frame, new Uint8Array([1, 2, 4])), "authentication");
    await expectCause(receiver.decrypt(frame), "authentication");

    const stranger = new SFrameContext();
    await stranger.addDecryptionKey(7n, randomKey());
    await expectCause(stranger.decrypt(frame, metadata), "authentication");
    await expectCause(new SFrameContext().decrypt(frame, metadata), "unknown-kid");
    await expectCause(receiver.decrypt(frame.subarray(0, 10), metadata), "malformed");

    // none of the failures counted as a received CTR: the genuine frame still opens
    expect((await receiver.decrypt(frame, metadata)).plaintext).toEqual(plaintext);
  });

  it("refuses replays and frames older than the window, accepts reordering within it", async () => {
    const { sender, receiver } = await pair({ replayWindow: 4 });
    const frames = await Promise.all(Array.from({ length: 8 }, () => sender.encrypt(7n, plaintext)));
    await receiver.decrypt(frames[5]!);
    await receiver.decrypt(frames[3]!); // 2 behind: inside the window
    await expectCause(receiver.decrypt(frames[5]!), "replay");
    await expectCause(receiver.decrypt(frames[3]!), "replay");
    await expectCause(receiver.decrypt(frames[1]!), "replay"); // 4 behind: outside
    await receiver.decrypt(frames[7]!);
    await receiver.decrypt(frames[4]!);
    await expectCause(receiver.decrypt(frames[2]!), "replay");
    // the same frame decrypted twice at once: exactly one succeeds
    const both = await Promise.allSettled([receiver.decrypt(frames[6]!), receiver.decrypt(frames[6]!)]);
    expect(both.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
  });

  it("keys are for encryption or decryption, never both (§4.4.1)", async () => {
    const { sender, receiver } = await pair();
    await expectCause(receiver.encrypt(7n, plaintext), "key-usage", "VOLLY_E_BAD_REQUEST");
    await expectCause(sender.decrypt(await sender.encrypt(7n, plaintext)), "own-kid");
    await expectCause(sender.encrypt(8n, plaintext), "no-key", "VOLLY_E_BAD_REQUEST");
    await expectCause(sender.addDecryptionKey(7n, randomKey()), "invalid-argument", "VOLLY_E_BAD_REQUEST");
    sender.deleteKey(7n);
    await expectCause(sender.encrypt(7n, plaintext), "no-key", "VOLLY_E_BAD_REQUEST");
  });
});
