/**
 * The text view's "every head at once": a canvas over the text (letting the pointer through) on which, for the hovered token, every token it
 * attends to gets one horizontal stripe per head (head h at the h-th slice of the token's line box) in the head's
 * colour, at the weight's opacity. The text stays real DOM text above it; the spans are not restyled per hover.
 *
 * Kept cheap per hover: the line lists are computed once per analysis (headLines.ts); the tokens' boxes are
 * measured once (again only after the text view changes size); the canvas covers only the viewport's band of the
 * text, and a hover clears only the boxes the last hover painted.
 */
import { lineLists, LINE_STEPS, MAX_LINES_ALL_HEADS } from './headLines';
import type { DrawnHead } from './allHeads';
import type { Direction } from '../viewTypes';

/**
 * The stripes lie over the text (a canvas under it made every hover repaint the text of the whole band: ~60% slower
 * in software rendering), so the strongest weight is drawn at this opacity: the glyphs stay readable through it.
 */
const MAX_STRIPE_ALPHA = 0.6;
/** Rows of text above and below the viewport that the band covers too, so a small scroll shows no undrawn edge. */
const BAND_MARGIN_PX = 64;

export interface HeadStripes {
  /** Draw the stripes of token f's lines (null: clear). */
  draw(f: number | null): void;
}

interface Boxes {
  /** per token: its boxes [first, end) in x/y/w/h (a token wrapping over two lines has two) */
  first: Int32Array;
  x: Float32Array;
  y: Float32Array;
  w: Float32Array;
  h: Float32Array;
}

export function createHeadStripes(
  container: HTMLElement,
  spans: readonly HTMLElement[],
  heads: readonly DrawnHead[],
  settings: () => { direction: Direction; scale: boolean },
): HeadStripes {
  const canvas = document.createElement('canvas');
  canvas.className = 'head-stripes';
  canvas.setAttribute('aria-hidden', 'true');
  container.classList.add('with-stripes');
  container.prepend(canvas);
  const g = canvas.getContext('2d');
  const dpr = window.devicePixelRatio || 1;
  let boxes: Boxes | null = null;
  /** The band of the container (px from its padding box's top) the canvas covers now. */
  let band = { top: 0, height: 0, width: 0 };
  /** Boxes painted by the last draw, in canvas coordinates: what the next draw clears. */
  let painted: number[] = [];
  let last: number | null = null;

  new ResizeObserver(() => {
    boxes = null;
    band = { top: 0, height: 0, width: 0 };
    if (last !== null) requestAnimationFrame(() => draw(last));
  }).observe(container);

  /** Every token's boxes relative to the container's padding box: one layout read, kept until a resize. */
  const measure = (): Boxes => {
    const c = container.getBoundingClientRect();
    const left = c.left + container.clientLeft;
    const top = c.top + container.clientTop;
    const first = new Int32Array(spans.length + 1);
    const xs: number[] = [];
    const ys: number[] = [];
    const ws: number[] = [];
    const hs: number[] = [];
    spans.forEach((s, i) => {
      first[i] = xs.length;
      for (const r of s.getClientRects()) {
        if (r.width === 0 && r.height === 0) continue;
        xs.push(r.left - left);
        ys.push(r.top - top);
        ws.push(r.width);
        hs.push(r.height);
      }
    });
    first[spans.length] = xs.length;
    return { first, x: Float32Array.from(xs), y: Float32Array.from(ys), w: Float32Array.from(ws), h: Float32Array.from(hs) };
  };

  /** Moves the canvas to the viewport's band of the text; true when it moved (then it is blank). */
  const placeBand = (): boolean => {
    const c = container.getBoundingClientRect();
    const viewport = window.innerHeight || c.height;
    const fullHeight = container.clientHeight;
    const topPx = Math.max(0, Math.floor(-(c.top + container.clientTop) - BAND_MARGIN_PX));
    const bottom = Math.min(fullHeight, Math.ceil(viewport - c.top + BAND_MARGIN_PX));
    const next = { top: topPx, height: Math.max(1, bottom - topPx), width: container.clientWidth };
    if (next.top === band.top && next.height === band.height && next.width === band.width) return false;
    band = next;
    canvas.width = Math.round(next.width * dpr);
    canvas.height = Math.round(next.height * dpr);
    canvas.style.width = `${next.width}px`;
    canvas.style.height = `${next.height}px`;
    canvas.style.top = `${next.top}px`;
    painted = [];
    return true;
  };

  const draw = (f: number | null): void => {
    last = f;
    if (!g || !container.isConnected) return;
    boxes ??= measure();
    placeBand();
    g.setTransform(dpr, 0, 0, dpr, 0, -band.top * dpr);
    for (let i = 0; i < painted.length; i += 4) g.clearRect(painted[i], painted[i + 1], painted[i + 2], painted[i + 3]);
    painted = [];
    if (f === null || f >= spans.length) return;
    const { direction, scale } = settings();
    const b = boxes;
    const H = heads.length;
    const bandBottom = band.top + band.height;
    const seen = new Uint8Array(spans.length);
    heads.forEach((d, hi) => {
      const lists = lineLists(d.m, direction, scale, MAX_LINES_ALL_HEADS);
      const byStep: Array<Path2D | undefined> = [];
      for (let i = lists.start[f]; i < lists.start[f + 1]; i++) {
        const j = lists.other[i];
        if (j >= spans.length) continue;
        for (let r = b.first[j]; r < b.first[j + 1]; r++) {
          const y = b.y[r];
          const h = b.h[r];
          if (y + h < band.top || y > bandBottom) continue;
          const p = byStep[lists.step[i]] ?? (byStep[lists.step[i]] = new Path2D());
          p.rect(b.x[r], y + (h * hi) / H, b.w[r], h / H);
          if (!seen[j]) painted.push(b.x[r] - 1, y - 1, b.w[r] + 2, h + 2);
        }
        seen[j] = 1;
      }
      g.fillStyle = d.color;
      byStep.forEach((p, step) => {
        if (!p) return;
        g.globalAlpha = (step / LINE_STEPS) * MAX_STRIPE_ALPHA;
        g.fill(p);
      });
    });
    g.globalAlpha = 1;
  };

  return { draw };
}
