import {
  type CommitEpochContext,
  type CommitInspection,
  type ExpectedGroupInfo,
  type GroupInfoInspection,
  inspectCommit,
  inspectGroupInfo,
  type MlsSuite,
  welcomeKeyPackageRefs,
} from "@volly/crypto";
import { type CryptoWorker, startCryptoWorker, type WorkerOperation } from "./commit-inspection-worker.js";

/**
 * Commits of at least this many bytes are inspected in the worker thread, not on the event loop.
 * `inspectCommit` costs about 0.85 ms per Add (a key package of about 2.7 KiB decoded and hashed),
 * about 0.3 ms per KiB of Adds: a 64 KiB commit is some 20 ms of work, the 999-Add commit that creates
 * a large group (2.7 MB) about 0.9 s. Remove and external commits, and Adds of up to about two dozen
 * devices, stay on the event loop, where they cost less than a round trip to the worker.
 */
export const WORKER_COMMIT_BYTES = 64 * 1024;

/**
 * A GroupInfo and ratchet tree of at least this many bytes (together) are inspected in the worker.
 * `inspectGroupInfo` reads the tree's length prefixes, checks one signature and lists the leaves:
 * about 10–20 ms for a 1,000-device tree (1.4 MB), which every commit of such a group carries, while
 * handing the bytes to the worker costs well under a millisecond of the event loop. Below this size
 * (a group of up to about 180 devices) it costs a few ms and stays on the event loop.
 */
export const WORKER_GROUP_INFO_BYTES = 256 * 1024;

/**
 * The MLS checks of the delivery service (`inspectCommit`, `inspectGroupInfo` of @volly/crypto),
 * run on the event loop for small inputs and in a worker thread for big ones, with the same results
 * and errors either way.
 */
export interface CommitInspector {
  /**
   * `inspectCommit(suite, commit, context)` (RFC 9420 §6.2, §12.4).
   * @throws what `inspectCommit` throws: VollyError VOLLY_E_BAD_REQUEST (details.cause) or
   *   VOLLY_E_STALE_EPOCH; Error when `context` (the stored state) is unusable or the worker failed
   */
  inspectCommit(commit: Uint8Array, context: CommitEpochContext): Promise<CommitInspection>;
  /**
   * `inspectGroupInfo(suite, groupInfo, ratchetTree, expected)` (RFC 9420 §12.4.3).
   * @throws what `inspectGroupInfo` throws: VollyError VOLLY_E_BAD_REQUEST (details.cause); Error
   *   when the worker failed
   */
  inspectGroupInfo(
    groupInfo: Uint8Array,
    ratchetTree: Uint8Array,
    expected: ExpectedGroupInfo,
  ): Promise<GroupInfoInspection>;
  /**
   * `welcomeKeyPackageRefs(welcome)`: the KeyPackageRefs a Welcome is addressed to (RFC 9420
   * §12.4.3.1), base64url. A Welcome of at least {@link WORKER_COMMIT_BYTES} (one encrypted group
   * secret per added device) is decoded in the worker.
   * @throws VollyError VOLLY_E_DECRYPT_FAILED (cause "malformed") for a malformed Welcome; Error
   *   when the worker failed
   */
  welcomeKeyPackageRefs(welcome: Uint8Array): Promise<string[]>;
  /** Stops the worker thread, if one was started. */
  close(): Promise<void>;
}

/** Options of {@link createCommitInspector}. */
export interface CommitInspectorOptions {
  /** The suite, loaded once (`loadSuite(ciphersuite)`). */
  suite: () => Promise<MlsSuite>;
  /** Its RFC 9420 §5.1 name, for the worker to load the same suite. */
  ciphersuite: string;
  /** Commits of at least this many bytes go to the worker; default {@link WORKER_COMMIT_BYTES}. */
  workerCommitBytes?: number;
  /** GroupInfo + tree of at least this many bytes go to the worker; default {@link WORKER_GROUP_INFO_BYTES}. */
  workerGroupInfoBytes?: number;
}

/**
 * Builds the {@link CommitInspector}. The worker (one thread: the checks of big commits queue behind
 * each other, never behind the event loop) starts on the first big input and is replaced if it dies.
 */
export function createCommitInspector(options: CommitInspectorOptions): CommitInspector {
  const commitBytes = options.workerCommitBytes ?? WORKER_COMMIT_BYTES;
  const groupInfoBytes = options.workerGroupInfoBytes ?? WORKER_GROUP_INFO_BYTES;
  let worker: CryptoWorker | undefined;
  const inWorker = <T>(op: WorkerOperation, args: unknown[]): Promise<T> => {
    const current =
      worker ??
      startCryptoWorker(options.ciphersuite, () => {
        if (worker === current) worker = undefined;
      });
    worker = current;
    return current.run<T>(op, args);
  };
  return {
    async inspectCommit(commit, context) {
      if (commit.length >= commitBytes) return inWorker("inspectCommit", [commit, context]);
      return inspectCommit(await options.suite(), commit, context);
    },
    async inspectGroupInfo(groupInfo, ratchetTree, expected) {
      if (groupInfo.length + ratchetTree.length >= groupInfoBytes) {
        return inWorker("inspectGroupInfo", [groupInfo, ratchetTree, expected]);
      }
      return inspectGroupInfo(await options.suite(), groupInfo, ratchetTree, expected);
    },
    async welcomeKeyPackageRefs(welcome) {
      if (welcome.length >= commitBytes) return inWorker("welcomeKeyPackageRefs", [welcome]);
      return welcomeKeyPackageRefs(welcome);
    },
    async close() {
      const w = worker;
      worker = undefined;
      await w?.close();
    },
  };
}
