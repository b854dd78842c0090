import { describe, expect, it } from "vitest";
import { centredSquare } from "../src/lib/media/avatar-image.js";

describe("centredSquare (the avatar's crop of a picked photo)", () => {
  it.each([
    [640, 400, { x: 120, y: 0, side: 400 }],
    [400, 640, { x: 0, y: 120, side: 400 }],
    [256, 256, { x: 0, y: 0, side: 256 }],
    [3, 2, { x: 0, y: 0, side: 2 }],
  ])("%i × %i → %j", (width, height, expected) => {
    expect(centredSquare(width, height)).toEqual(expected);
  });
});
