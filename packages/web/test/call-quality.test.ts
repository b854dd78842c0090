import { describe, expect, it } from "vitest";
import { qualityLevel, qualityText } from "../src/lib/calls/quality.js";

/** The call view's connection quality: the level from ICE state, round trip and loss, and its name. */
describe("call quality", () => {
  it("is good on a fast clean path, fair or poor as round trip or loss grow, reconnecting when ICE is lost", () => {
    expect(qualityLevel("connected", 20, 0)).toBe("good");
    expect(qualityLevel("completed")).toBe("good");
    expect(qualityLevel("connected", 400, 0)).toBe("fair");
    expect(qualityLevel("connected", 20, 5)).toBe("fair");
    expect(qualityLevel("connected", 800, 0)).toBe("poor");
    expect(qualityLevel("connected", 20, 12)).toBe("poor");
    expect(qualityLevel("disconnected", 20, 0)).toBe("reconnecting");
    expect(qualityLevel("failed")).toBe("reconnecting");
  });

  it("names the measurement in words, leaving out what was not measured", () => {
    expect(qualityText({ level: "good", iceState: "connected", rttMs: 12.4, lossPercent: 0 })).toBe(
      "Connection good: 12 ms round trip, 0% packet loss",
    );
    expect(qualityText({ level: "reconnecting", iceState: "disconnected" })).toBe(
      "Connection lost, reconnecting",
    );
  });
});
