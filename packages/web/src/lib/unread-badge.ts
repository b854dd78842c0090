/** The tab's title and favicon showing the unread count ("(3) Volly" and a badge on the icon). */

const BASE_TITLE = "Volly";
const ICON_SIZE = 64;

/** "(N) Volly", or "Volly" at 0; more than 99 shows "99+". */
export function tabTitle(unread: number): string {
  return unread > 0 ? `(${badgeText(unread)}) ${BASE_TITLE}` : BASE_TITLE;
}

function badgeText(unread: number): string {
  return unread > 99 ? "99+" : String(unread);
}

let baseHref: string | undefined;
let baseImage: Promise<HTMLImageElement | undefined> | undefined;
/**
 * The plain icon as a data URL, drawn once its image has loaded: going back to it then needs no
 * request (which would fail, and log an error, while the server is away).
 */
let plainHref: string | undefined;

function iconLink(): HTMLLinkElement {
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement("link");
    link.rel = "icon";
    link.href = "/favicon.svg";
    document.head.append(link);
  }
  baseHref ??= link.getAttribute("href") ?? "/favicon.svg";
  return link;
}

function loadBase(href: string): Promise<HTMLImageElement | undefined> {
  baseImage ??= new Promise((resolve) => {
    const img = new Image();
    img.onload = () => {
      plainHref = drawIcon(img).toDataURL("image/png");
      resolve(img);
    };
    img.onerror = () => resolve(undefined);
    img.src = href;
  });
  return baseImage;
}

let generation = 0;

/**
 * Sets the favicon: the app's icon with a red badge holding the count drawn on a canvas, or the
 * plain icon at 0. Later calls win over slower earlier ones.
 */
export async function setFaviconBadge(unread: number): Promise<void> {
  const link = iconLink();
  const mine = ++generation;
  const base = baseHref as string;
  if (unread <= 0) {
    link.type = plainHref ? "image/png" : "image/svg+xml";
    link.href = plainHref ?? base;
    return;
  }
  const img = await loadBase(base);
  if (mine !== generation) return;
  const canvas = drawIcon(img);
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const text = badgeText(unread);
  const r = text.length > 2 ? 22 : 19;
  const cx = ICON_SIZE - r;
  const cy = r;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.fillStyle = "#e5383b";
  ctx.fill();
  ctx.lineWidth = 3;
  ctx.strokeStyle = "#ffffff";
  ctx.stroke();
  ctx.fillStyle = "#ffffff";
  ctx.font = `bold ${text.length > 2 ? 18 : text.length > 1 ? 24 : 28}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(text, cx, cy + 1);
  link.type = "image/png";
  link.href = canvas.toDataURL("image/png");
}

/** A canvas of ICON_SIZE square with the app's icon drawn on it (blank when it did not load). */
function drawIcon(img: HTMLImageElement | undefined): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = ICON_SIZE;
  canvas.height = ICON_SIZE;
  if (img) canvas.getContext("2d")?.drawImage(img, 0, 0, ICON_SIZE, ICON_SIZE);
  return canvas;
}
