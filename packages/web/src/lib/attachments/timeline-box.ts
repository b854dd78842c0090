import { fitWithin } from "../media/thumbnail";

/** Largest side of an image or video box in the timeline (px). */
export const TIMELINE_MAX_SIDE = 320;

/**
 * The timeline box (px) of an image or video, from its pointer's dimensions (or `fallback`'s when
 * the sender gave none), so the space is kept before anything loads: scaled down to fit
 * {@link TIMELINE_MAX_SIDE} (never up), each side at least `minSide`.
 */
export function timelineBox(
  dimensions: { width?: number; height?: number },
  fallback: { width: number; height: number },
  minSide: number,
): { width: number; height: number } {
  const fit = fitWithin(
    dimensions.width ?? fallback.width,
    dimensions.height ?? fallback.height,
    TIMELINE_MAX_SIDE,
  );
  return { width: Math.max(minSide, fit.width), height: Math.max(minSide, fit.height) };
}
