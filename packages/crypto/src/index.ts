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
