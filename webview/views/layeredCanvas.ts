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
