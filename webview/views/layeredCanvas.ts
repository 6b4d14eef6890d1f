/**
 * The two stacked canvases the n² views draw on: `base` holds the full picture, drawn once per head; `overlay`
 * holds the hover highlight, so a hover redraws only what changed. Both are sized for the device pixel ratio.
 */
export interface LayeredCanvas {
  wrap: HTMLDivElement;
  base: HTMLCanvasElement;
  overlay: HTMLCanvasElement;
  dpr: number;
}

export function createLayeredCanvas(width: number, height: number, baseClass: string): LayeredCanvas {
  const dpr = window.devicePixelRatio || 1;
  const wrap = document.createElement('div');
  wrap.className = 'canvas-wrap';
  const base = document.createElement('canvas');
  const overlay = document.createElement('canvas');
  overlay.className = 'overlay';
  for (const c of [base, overlay]) {
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    c.style.width = `${width}px`;
    c.style.height = `${height}px`;
  }
  base.className = baseClass;
  base.setAttribute('role', 'img');
  return { wrap, base, overlay, dpr };
}

/**
 * Draws the fixed picture of `base` (drawn once per render, never on a hover) so that a hover's frame does not pay
 * for it. Chromium's software compositing (VS Code with the GPU off; the bench's and tests' Chromium) produces a
 * 2D canvas's layer again — a copy of all its pixels — in every frame in which any canvas of the page changes: at
 * 512 tokens the head view's label canvas (540 × 6,672 px) cost ~1.5 ms of each hover's frame for a picture that
 * never changes. Drawn on an OffscreenCanvas and handed to the element's 'bitmaprenderer' context, the picture is
 * an ImageBitmap, which the compositor keeps; only the overlay is produced per hover. `base` still works as an image
 * source (drawImage, for the PNG export). Where either is missing, `base` is drawn as a plain 2D canvas.
 */
export function paintStatic(base: HTMLCanvasElement, draw: (g: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D) => void): void {
  if (typeof OffscreenCanvas !== 'undefined') {
    const off = new OffscreenCanvas(base.width, base.height);
    const g = off.getContext('2d');
    const bitmap = g ? base.getContext('bitmaprenderer') : null;
    if (g && bitmap) {
      draw(g);
      bitmap.transferFromImageBitmap(off.transferToImageBitmap());
      return;
    }
  }
  const g = base.getContext('2d');
  if (g) draw(g);
}

/** The rows of the full picture (CSS px from its top) that the overlay covers now. */
export interface OverlayBand {
  top: number;
  height: number;
}

/**
 * Shrinks `overlay` to the band of `base` that is inside the window's viewport (and to `columns`, the part of the
 * picture's width it draws on), and keeps it there while the
 * page scrolls or resizes (then `redraw` runs). A head view at 512 tokens is ~6,700 px tall: clearing and
 * compositing a canvas of that size on every hover cost ~15 ms a frame in software rendering, while a band of
 * the viewport's height costs a fraction of it. Returns the current band; drawing code translates by −left, −top.
 * The listeners go away once the view is no longer in the document.
 */
export function keepOverlayInViewport(
  layered: LayeredCanvas,
  columns: { left: number; width: number },
  fullHeight: number,
  redraw: () => void,
): () => OverlayBand {
  const { left, width } = columns;
  const { wrap, base, overlay, dpr } = layered;
  // The columns apply at once, before the first measurement (the band comes once the view is attached).
  overlay.width = Math.round(width * dpr);
  overlay.style.width = `${width}px`;
  overlay.style.left = `${left}px`;
  let band: OverlayBand = { top: 0, height: 0 };
  const place = (): boolean => {
    const r = base.getBoundingClientRect();
    const viewport = window.innerHeight || fullHeight;
    // Visible rows of the base, widened by a margin so a small scroll does not show an undrawn edge first.
    const margin = Math.min(64, viewport / 4);
    const top = Math.max(0, Math.floor(-r.top - margin));
    const bottom = Math.min(fullHeight, Math.ceil(viewport - r.top + margin));
    const next = { top, height: Math.max(1, bottom - top) };
    if (next.top === band.top && next.height === band.height) return false;
    band = next;
    overlay.width = Math.round(width * dpr);
    overlay.height = Math.round(band.height * dpr);
    overlay.style.width = `${width}px`;
    overlay.style.height = `${band.height}px`;
    overlay.style.top = `${band.top}px`;
    overlay.style.left = `${left}px`;
    return true;
  };
  const onMove = (): void => {
    if (!wrap.isConnected) {
      window.removeEventListener('scroll', onMove, true);
      window.removeEventListener('resize', onMove);
      return;
    }
    if (place()) redraw();
  };
  // Scroll events do not bubble; a capturing listener on the window hears every scrolling ancestor.
  window.addEventListener('scroll', onMove, { capture: true, passive: true });
  window.addEventListener('resize', onMove, { passive: true });
  // Views are built before they are attached, when there is no layout to measure: until then the overlay stays
  // full size and is drawn whole; the first frame after attaching shrinks it to the band and redraws.
  requestAnimationFrame(onMove);
  return () => {
    if (!wrap.isConnected) return { top: 0, height: fullHeight };
    place();
    return band;
  };
}
