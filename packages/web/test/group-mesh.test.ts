import { describe, expect, it } from "vitest";
import { offersTo } from "../src/lib/calls/group-mesh.js";

describe("group call mesh: who offers", () => {
  it("of every pair of devices exactly one offers (the smaller id), so two joiners never glare", () => {
    const devices = ["dev-b", "dev-a", "dev-c", "01HZX", "01HZY"];
    for (const a of devices)
      for (const b of devices) {
        if (a === b) continue;
        expect(offersTo(a, b)).toBe(!offersTo(b, a));
        expect(offersTo(a, b)).toBe(a < b);
      }
  });
});
