/**
 * Scrolling measured in Chromium: the mouse wheel turned over a scroller while the page times every
 * animation frame (web-start's scroll of a long conversation), and the same scroll over a static
 * page with no script (the ceiling: the frame rate this browser reaches on this machine at all).
 */
import { percentile } from "./stats.mjs";

/** A frame longer than this missed at least one 60 Hz vsync (ms). */
const SLOW_FRAME_MS = 25;

/**
 * Turns the mouse wheel up `stepPx` at a time (`wheels` times, as fast as the browser takes the
 * events) over the middle of `selector`'s element, while the page times every animation frame and
 * counts the frames that began with the scroller at its top.
 *
 * @param {import("playwright-core").Page} page the page, with `selector`'s element on screen
 * @param {string} selector a CSS selector of the scrolling element
 * @param {number} wheels how many wheel events
 * @param {number} stepPx how far each one scrolls (CSS px)
 * @returns {Promise<{intervals: number[], atTop: number, domElements: number}>} the frame intervals
 *   (ms), the frames at the top, and the elements inside the scroller at the end
 */
export async function wheelScroll(page, selector, wheels, stepPx) {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not on screen`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.evaluate((sel) => {
    const scroller = document.querySelector(sel);
    const state = { intervals: [], atTop: 0, running: true };
    let last = 0;
    const tick = (t) => {
      if (!state.running) return;
      if (last) state.intervals.push(t - last);
      last = t;
      if (scroller.scrollTop <= 0) state.atTop++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    globalThis.__scrollFrames = state;
  }, selector);
  for (let i = 0; i < wheels; i++) await page.mouse.wheel(0, -stepPx);
  return page.evaluate((sel) => {
    const state = globalThis.__scrollFrames;
    state.running = false;
    const scroller = document.querySelector(sel);
    return {
      intervals: state.intervals,
      atTop: state.atTop,
      domElements: scroller.querySelectorAll("*").length,
    };
  }, selector);
}

/**
 * The frame figures of {@link wheelScroll}'s intervals: frames per second over the elapsed time, the
 * 95th percentile frame (ms) and the frames over {@link SLOW_FRAME_MS}.
 *
 * @param {number[]} intervals frame intervals (ms)
 */
export function frameFigures(intervals) {
  const elapsed = intervals.reduce((a, b) => a + b, 0);
  return {
    fps: Number(((intervals.length * 1000) / elapsed).toFixed(1)),
    p95FrameMs: Number(percentile(intervals, 95).toFixed(1)),
    slowFrames: intervals.filter((x) => x > SLOW_FRAME_MS).length,
  };
}

/**
 * The ceiling of a scroll: `rows` plain rows of text (a sender, a line or two, a time, about a
 * message bubble's size; no script, no virtualization) in a full-height scroller opened at its
 * bottom, in a new page of `context`, scrolled as {@link wheelScroll} does. It measures what
 * headless Chromium reaches on this machine with a layout that never changes.
 *
 * @param {import("playwright-core").BrowserContext} context the browser context to open the page in
 * @param {{rows: number, wheels: number, stepPx: number}} options
 * @returns {Promise<{fps: number, p95FrameMs: number, slowFrames: number, framesAtTop: number}>}
 */
export async function staticPageScroll(context, { rows, wheels, stepPx }) {
  const page = await context.newPage();
  try {
    const lines = [];
    for (let i = 0; i < rows; i++) {
      const words = "a message of a few words, as people write them ".repeat(1 + (i % 4));
      lines.push(
        `<div class="row"><b>Sender ${i % 7}</b><p>${i}: ${words}</p><time>12:${String(i % 60).padStart(2, "0")}</time></div>`,
      );
    }
    await page.setContent(
      "<!doctype html><style>body{margin:0;font-family:sans-serif}#list{height:100vh;overflow-y:auto}" +
        ".row{padding:8px 16px;border-bottom:1px solid #ddd}p{margin:4px 0}</style>" +
        `<div id="list">${lines.join("")}</div>`,
    );
    await page.evaluate(() => {
      const list = document.getElementById("list");
      list.scrollTop = list.scrollHeight;
    });
    const { intervals, atTop } = await wheelScroll(page, "#list", wheels, stepPx);
    return { ...frameFigures(intervals), framesAtTop: atTop };
  } finally {
    await page.close();
  }
}
