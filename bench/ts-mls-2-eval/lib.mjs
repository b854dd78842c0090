// Uniform adapter over ts-mls 1.6.4 ("v1", npm alias mls1) and ts-mls 2.0.0-rc.10 ("v2", alias mls2),
// so the same benchmark / gap tests run against both. Each adapter exposes:
//   impl(suiteName, providerKind) -> CiphersuiteImpl   providerKind: "default" | "volly"
//   sigKeys(impl), keyPackage(impl, identity, sig), createGroup(impl, groupId, kp),
//   commit(impl, state, proposals, opts) -> { newState, commitBytes, welcome, consumed }
//   join(impl, welcome, kp, tree), encrypt(impl, state, bytes) -> { newState, bytes, consumed },
//   process(impl, state, bytes) -> { kind, newState, plaintext?, consumed },
//   encodeTree/decodeTree, encodeState/decodeState, proposals: add/remove/gce
import { pathToFileURL } from "node:url";
// biome-ignore lint/style/noRestrictedImports: an evaluation kit of MLS libraries outside the product (its own package.json), not a crypto call site
import { expand as hkdfExpand, extract as hkdfExtract } from "@noble/hashes/hkdf.js";
// biome-ignore lint/style/noRestrictedImports: as above
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";

const here = new URL(".", import.meta.url).pathname;
/** Import a file inside a package bypassing its "exports" map (needed for v2 internals). */
export const internal = (pkg, file) =>
  import(pathToFileURL(`${here}node_modules/${pkg}/dist/src/${file}`).href);

const te = new TextEncoder();

// ---------- Volly-like provider (mirror of packages/crypto/src/mls-provider.ts) ----------
const HASHES = { "HKDF-SHA256": sha256, "HKDF-SHA384": sha384, "HKDF-SHA512": sha512 };
function nobleKdf(alg) {
  const hash = HASHES[alg];
  return {
    async extract(salt, ikm) {
      return hkdfExtract(hash, ikm, salt);
    },
    async expand(prk, info, len) {
      return hkdfExpand(hash, prk, info, len);
    },
    size: hash.outputLen,
  };
}
function cachedEd25519(base) {
  const subtle = globalThis.crypto.subtle;
  const sk = new Map(),
    vk = new Map();
  const hex = (b) => Buffer.from(b).toString("hex");
  const pkcs8 = (raw) =>
    new Uint8Array([
      0x30,
      0x2e,
      0x02,
      0x01,
      0x00,
      0x30,
      0x05,
      0x06,
      0x03,
      0x2b,
      0x65,
      0x70,
      0x04,
      0x22,
      0x04,
      0x20,
      ...raw,
    ]);
  return {
    async sign(signKey, message) {
      const id = hex(signKey);
      let key = sk.get(id);
      if (!key) {
        key = subtle.importKey("pkcs8", signKey.length === 32 ? pkcs8(signKey) : signKey, "Ed25519", false, [
          "sign",
        ]);
        sk.set(id, key);
      }
      return new Uint8Array(await subtle.sign("Ed25519", await key, message));
    },
    async verify(publicKey, message, signature) {
      const id = hex(publicKey);
      let key = vk.get(id);
      if (!key) {
        key = subtle.importKey("raw", publicKey, "Ed25519", false, ["verify"]);
        vk.set(id, key);
      }
      return subtle.verify("Ed25519", await key, signature, message);
    },
    keygen: () => base.keygen(),
  };
}

// ---------------------------------- v1 (1.6.4) ----------------------------------
async function makeV1() {
  const m = await import("mls1");
  const { encodeRatchetTree, decodeRatchetTree } = await import("mls1/ratchetTree.js");
  const { defaultClientConfig } = await import("mls1/clientConfig.js");
  const cfg = defaultClientConfig;
  const now = () => BigInt(Math.floor(Date.now() / 1000));
  return {
    name: "1.6.4",
    m,
    async impl(suite, kind = "default") {
      const cs = m.getCiphersuiteFromName(suite);
      if (kind === "default") return m.getCiphersuiteImpl(cs);
      const base = await m.nobleCryptoProvider.getCiphersuiteImpl(cs);
      return { ...base, kdf: nobleKdf(cs.hpke.kdf), signature: cachedEd25519(base.signature) };
    },
    sigKeys: (impl) => impl.signature.keygen(),
    async keyPackage(impl, identity, sig, extraExtensionTypes = []) {
      const caps = m.defaultCapabilities();
      return m.generateKeyPackageWithKey(
        { credentialType: "basic", identity: te.encode(identity) },
        { ...caps, extensions: [...caps.extensions, ...extraExtensionTypes] },
        { notBefore: now() - 86400n, notAfter: now() + 7776000n },
        [],
        sig,
        impl,
      );
    },
    createGroup: (impl, groupId, kp, extensions = []) =>
      m.createGroup(te.encode(groupId), kp.publicPackage, kp.privatePackage, extensions, impl, cfg),
    encodeKeyPackage: (kp) =>
      m.encodeMlsMessage({ version: "mls10", wireformat: "mls_key_package", keyPackage: kp.publicPackage }),
    decodeKeyPackage: (bytes) => m.decodeMlsMessage(bytes, 0)[0].keyPackage,
    addProposal: (keyPackage) => ({ proposalType: "add", add: { keyPackage } }),
    removeProposal: (leaf) => ({ proposalType: "remove", remove: { removed: leaf } }),
    gceProposal: (variant) => ({
      proposalType: "group_context_extensions",
      groupContextExtensions: {
        extensions: [
          variant === "custom"
            ? { extensionType: 0xff00, extensionData: new Uint8Array([1, 2, 3]) }
            : {
                extensionType: "required_capabilities",
                extensionData: m.encodeRequiredCapabilities({
                  extensionTypes: [],
                  proposalTypes: [],
                  credentialTypes: [],
                }),
              },
        ],
      },
    }),
    proposalTypeNames: () => Object.keys(m.defaultProposalTypes),
    extensions: (state) => state.groupContext.extensions.map((e) => String(e.extensionType)),
    async commit(impl, state, proposals, { publicMessage = true, ratchetTreeExtension = false } = {}) {
      const r = await m.createCommit(
        { state, cipherSuite: impl },
        { extraProposals: proposals, ratchetTreeExtension, wireAsPublicMessage: publicMessage },
      );
      return {
        newState: r.newState,
        commitBytes: m.encodeMlsMessage(r.commit),
        welcome:
          r.welcome &&
          m.encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: r.welcome }),
        consumed: r.consumed,
      };
    },
    async join(impl, welcomeBytes, kp, treeBytes) {
      const w = m.decodeMlsMessage(welcomeBytes, 0)[0].welcome;
      const tree = treeBytes && decodeRatchetTree(treeBytes, 0)[0];
      return m.joinGroup(w, kp.publicPackage, kp.privatePackage, m.emptyPskIndex, impl, tree, undefined, cfg);
    },
    async encrypt(impl, state, bytes) {
      const r = await m.createApplicationMessage(state, bytes, impl);
      return {
        newState: r.newState,
        consumed: r.consumed,
        bytes: m.encodeMlsMessage({
          version: "mls10",
          wireformat: "mls_private_message",
          privateMessage: r.privateMessage,
        }),
      };
    },
    async process(impl, state, bytes) {
      const msg = m.decodeMlsMessage(bytes, 0)[0];
      if (msg.wireformat === "mls_private_message") {
        const r = await m.processPrivateMessage(state, msg.privateMessage, m.emptyPskIndex, impl);
        return { kind: r.kind, newState: r.newState, plaintext: r.message, consumed: r.consumed };
      }
      const r = await m.processPublicMessage(state, msg.publicMessage, m.emptyPskIndex, impl);
      return { kind: "newState", newState: r.newState, consumed: r.consumed };
    },
    encodeTree: (state) => encodeRatchetTree(state.ratchetTree),
    decodeTree: (bytes) => decodeRatchetTree(bytes, 0)[0],
    encodeState: (state) => m.encodeGroupState(state),
    decodeState: (bytes) => {
      const d = m.decodeGroupState(bytes, 0);
      return d && { ...d[0], clientConfig: cfg };
    },
    async groupInfoWithTree(impl, state) {
      const gi = await m.createGroupInfoWithExternalPubAndRatchetTree(state, [], impl);
      return m.encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo: gi });
    },
    decodeMessage: (bytes) => m.decodeMlsMessage(bytes, 0)?.[0],
    members: (state) => state.ratchetTree.filter((n) => n?.nodeType === "leaf").length,
    epoch: (state) => state.groupContext.epoch,
  };
}

// -------------------------------- v2 (2.0.0-rc.10) --------------------------------
async function makeV2() {
  const m = await import("mls2");
  // Not exported from the package entry point in 2.0 (exports map has only "."): reach in by file path.
  const rt = await internal("mls2", "ratchetTree.js");
  const ctx = (impl) => ({ cipherSuite: impl, authService: m.unsafeTestingAuthenticationService });
  const now = () => BigInt(Math.floor(Date.now() / 1000));
  return {
    name: "2.0.0-rc.10",
    m,
    async impl(suite, kind = "default") {
      if (kind === "default") return m.getCiphersuiteImpl(suite);
      const base = await m.nobleCryptoProvider.getCiphersuiteImpl(m.ciphersuites[suite]);
      const { getCiphersuiteFromName } = await internal("mls2", "crypto/ciphersuite.js");
      const cs = getCiphersuiteFromName(suite);
      return { ...base, kdf: nobleKdf(cs.hpke.kdf), signature: cachedEd25519(base.signature) };
    },
    sigKeys: (impl) => impl.signature.keygen(),
    async keyPackage(impl, identity, sig, extraExtensionTypes = []) {
      const caps = m.defaultCapabilities();
      return m.generateKeyPackageWithKey({
        credential: { credentialType: m.defaultCredentialTypes.basic, identity: te.encode(identity) },
        capabilities: { ...caps, extensions: [...caps.extensions, ...extraExtensionTypes] },
        lifetime: { notBefore: now() - 86400n, notAfter: now() + 7776000n },
        signatureKeyPair: sig,
        cipherSuite: impl,
      });
    },
    createGroup: (impl, groupId, kp, extensions = []) =>
      m.createGroup({
        context: ctx(impl),
        groupId: te.encode(groupId),
        keyPackage: kp.publicPackage,
        privateKeyPackage: kp.privatePackage,
        extensions,
      }),
    encodeKeyPackage: (kp) =>
      m.encode(m.mlsMessageEncoder, {
        version: m.protocolVersions.mls10,
        wireformat: m.wireformats.mls_key_package,
        keyPackage: kp.publicPackage,
      }),
    decodeKeyPackage: (bytes) => m.decode(m.mlsMessageDecoder, bytes).keyPackage,
    addProposal: (keyPackage) => ({ proposalType: m.defaultProposalTypes.add, add: { keyPackage } }),
    removeProposal: (leaf) => ({ proposalType: m.defaultProposalTypes.remove, remove: { removed: leaf } }),
    gceProposal: (variant) => ({
      proposalType: m.defaultProposalTypes.group_context_extensions,
      groupContextExtensions: {
        extensions: [
          variant === "custom"
            ? m.makeCustomExtension({ extensionType: 0xff00, extensionData: new Uint8Array([1, 2, 3]) })
            : {
                extensionType: m.defaultExtensionTypes.required_capabilities,
                extensionData: { extensionTypes: [], proposalTypes: [], credentialTypes: [] },
              },
        ],
      },
    }),
    proposalTypeNames: () => Object.keys(m.defaultProposalTypes),
    extensions: (state) => state.groupContext.extensions.map((e) => String(e.extensionType)),
    async commit(impl, state, proposals, { publicMessage = true, ratchetTreeExtension = false } = {}) {
      const r = await m.createCommit({
        context: ctx(impl),
        state,
        extraProposals: proposals,
        ratchetTreeExtension,
        wireAsPublicMessage: publicMessage,
      });
      return {
        newState: r.newState,
        commitBytes: m.encode(m.mlsMessageEncoder, r.commit),
        welcome: r.welcome && m.encode(m.mlsMessageEncoder, r.welcome),
        consumed: r.consumed,
      };
    },
    async join(impl, welcomeBytes, kp, treeBytes) {
      const w = m.decode(m.mlsMessageDecoder, welcomeBytes).welcome;
      const tree = treeBytes && m.decode(rt.ratchetTreeDecoder, treeBytes);
      return m.joinGroup({
        context: ctx(impl),
        welcome: w,
        keyPackage: kp.publicPackage,
        privateKeys: kp.privatePackage,
        ratchetTree: tree,
      });
    },
    async encrypt(impl, state, bytes) {
      const r = await m.createApplicationMessage({ context: ctx(impl), state, message: bytes });
      return { newState: r.newState, consumed: r.consumed, bytes: m.encode(m.mlsMessageEncoder, r.message) };
    },
    async process(impl, state, bytes) {
      const msg = m.decode(m.mlsMessageDecoder, bytes);
      if (msg.wireformat === m.wireformats.mls_private_message) {
        const r = await m.processPrivateMessage({
          context: ctx(impl),
          state,
          privateMessage: msg.privateMessage,
        });
        return { kind: r.kind, newState: r.newState, plaintext: r.message, consumed: r.consumed };
      }
      const r = await m.processPublicMessage({ context: ctx(impl), state, publicMessage: msg.publicMessage });
      return { kind: "newState", newState: r.newState, consumed: r.consumed };
    },
    encodeTree: (state) => m.encode(rt.ratchetTreeEncoder, state.ratchetTree),
    decodeTree: (bytes) => m.decode(rt.ratchetTreeDecoder, bytes),
    encodeState: (state) => m.encode(m.clientStateEncoder, state),
    decodeState: (bytes) => m.decode(m.clientStateDecoder, bytes),
    async groupInfoWithTree(impl, state) {
      const gi = await m.createGroupInfoWithExternalPubAndRatchetTree(state, [], impl);
      return m.encode(m.mlsMessageEncoder, {
        version: m.protocolVersions.mls10,
        wireformat: m.wireformats.mls_group_info,
        groupInfo: gi,
      });
    },
    decodeMessage: (bytes) => m.decode(m.mlsMessageDecoder, bytes),
    members: (state) => state.ratchetTree.filter((n) => n?.nodeType === m.nodeTypes.leaf).length,
    epoch: (state) => state.groupContext.epoch,
  };
}

export async function loadVersion(v) {
  if (v === "v1" || v === "1.6.4") return makeV1();
  if (v === "v2" || v === "2.0.0-rc.10") return makeV2();
  throw new Error(`unknown version ${v}`);
}

export const SUITES = {
  xwing: "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
  x25519: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
};

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
export const nowMs = () => performance.now();
