/**
 * files: encrypted vs raw attachment transfer. Attachments do not exist in Volly yet, so this
 * workload measures nothing for now and says so.
 *
 *   node bench/workloads/files.mjs [--quick]
 */
import { runAsMain } from "../lib/main.mjs";

export const description =
  "Attachment transfer, encrypted vs raw (upload and download throughput, client-side encryption " +
  "cost). Not measured yet: Volly has no attachments.";

export const units = {};

export const targets = [];

export const defaultRuns = 1;

async function run() {
  return {
    scenarios: {},
    notes: [
      "Attachments do not exist yet; the files workload will measure encrypted vs raw transfer once they do.",
    ],
  };
}

runAsMain(import.meta.url, run);
