import { describe } from "vitest";
import { forEachBackend } from "./helpers/store-backends.js";
import { describeStoreConformance } from "./helpers/store-conformance.js";

describe("store conformance: the same cases on every backend", () => {
  forEachBackend(describeStoreConformance);
});
