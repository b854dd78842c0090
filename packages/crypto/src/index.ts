export type {
  AddedMember,
  AddMembersResult,
  CommitEpochContext,
  CommitInspection,
  CommitRejectionCause,
  CredentialIdentity,
  DecryptFailureCause,
  DeviceIdentity,
  GeneratedKeyPackage,
  GroupInfoInspection,
  GroupMember,
  KeyPackageInfo,
  MlsGroup,
  ProcessedMessage,
  PublicGroupState,
  RemoveMembersResult,
} from "./api.js";
export { type ApiKeyKeystore, unwrapDataKeyWithApiKey, wrapDataKeyForApiKey } from "./api-key-wrap.js";
export { inspectCommit } from "./commit-inspection.js";
export { credentialIdentityFromBytes, credentialIdentityToBytes } from "./credential.js";
export {
  formatLinkCode,
  generateLinkSecret,
  LINK_SECRET_BYTES,
  type LinkCode,
  linkProof,
  parseLinkCode,
  verifyLinkProof,
} from "./device-link.js";
export {
  chunkRange,
  createSha256,
  decryptChunk,
  decryptFile,
  encryptFile,
  type FileChunkRange,
  type FileDecryptCause,
  FileDecryptError,
  generateFileKey,
  type Sha256,
  sha256Stream,
} from "./file-aead.js";
export {
  type ExpectedGroupInfo,
  type InspectGroupInfoOptions,
  inspectGroupInfo,
} from "./group-info-inspection.js";
export {
  CHUNK_NODES,
  type GroupStateRecords,
  groupFromRecords,
  groupStateRecords,
} from "./group-state-records.js";
export { fingerprint, generateIdentity, sign, verify } from "./identity.js";
export { createInvite, inviteWebUrl, type ParsedInvite, parseInvite, verifyInvite } from "./invite.js";
export {
  createKeystore,
  type KdfParams,
  openKeystore,
  rewrapKeystore,
  type SealedKeystore,
  seal,
  unseal,
  validatePin,
} from "./keystore.js";
export {
  addMembers,
  createGroup,
  DEFAULT_CIPHERSUITE,
  decodeGroup,
  encodeGroup,
  encryptApplication,
  exportSecret,
  generateKeyPackage,
  groupEpoch,
  groupIdOf,
  groupMembers,
  inspectKeyPackage,
  isGroupConsumed,
  isRemovedFromGroup,
  joinFromWelcome,
  KEY_PACKAGE_LIFETIME_SECONDS,
  leafIndicesOf,
  loadSuite,
  type MlsSuite,
  ownLeafIndex,
  processMessage,
  removeMembers,
  welcomeCommitter,
  welcomeKeyPackageRefs,
} from "./mls.js";
export {
  type ExternalRejoinResult,
  groupInfoForExternalJoin,
  joinExternally,
  publicGroupState,
  rejoinExternally,
} from "./mls-external.js";
export {
  accountBackupKey,
  formatRecoveryKey,
  generateRecoveryKey,
  openAccountBackup,
  parseRecoveryKey,
  RECOVERY_KEY_BYTES,
  recoveryIdentity,
  sealAccountBackup,
} from "./recovery-key.js";
export {
  formatSafetyNumber,
  SAFETY_NUMBER_ITERATIONS,
  SAFETY_NUMBER_VERSION,
  type SafetyNumberParty,
  type SafetyNumberResult,
  safetyNumber,
} from "./safety-number.js";
export {
  AES_128_GCM_SHA256_128,
  AES_256_GCM_SHA512_128,
  DEFAULT_SFRAME_CIPHER_SUITE,
  type SFrameCipherSuite,
  type SFrameCipherSuiteId,
  sframeCipherSuite,
} from "./sframe/cipher-suites.js";
export { SFrameContext, type SFrameContextOptions, type SFrameDecrypted } from "./sframe/context.js";
export { SFrameError, type SFrameErrorCause } from "./sframe/errors.js";
export { sframeDecrypt, sframeEncrypt, sframeNonce } from "./sframe/frame.js";
export {
  type DecodedSFrameHeader,
  decodeSFrameHeader,
  encodeSFrameHeader,
  SFRAME_MAX_HEADER_BYTES,
  SFRAME_MAX_VALUE,
  type SFrameHeader,
} from "./sframe/header.js";
export {
  deriveSFrameKeyMaterial,
  importSFrameKey,
  type SFrameKey,
  type SFrameKeyMaterial,
} from "./sframe/key-schedule.js";
export {
  MlsSFrameContext,
  type MlsSFrameContextOptions,
  type MlsSFrameDecrypted,
} from "./sframe/mls-context.js";
export { SFRAME_MLS_EXPORTER_LABEL, type SFrameMlsEpoch, sframeMlsEpoch } from "./sframe/mls-epoch.js";
export { DEFAULT_SFRAME_EPOCH_BITS, parseSFrameMlsKid, sframeMlsKid } from "./sframe/mls-kid.js";
