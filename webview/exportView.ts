/**
 * Export of the current view as SVG (vector, for papers) or PNG. Views build their own SVG from their data and
 * layout; PNG comes straight from the view's canvas when it has one, otherwise by rasterising its SVG through an
 * <img> from a data: URL (allowed by the panel's CSP `img-src data:`; an SVG without foreignObject does not taint
 * the canvas).
 */
import type { ViewHandle } from './views/viewContext';

export function svgEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function svgDocument(width: number, height: number, body: string, background?: string): string {
  const bg = background ? `<rect width="100%" height="100%" fill="${background}"/>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bg}${body}</svg>`;
}

/** Chrome reports mixed colours as `color(srgb r g b / a)`; many SVG viewers only know rgb()/rgba(). */
export function toSvgColor(css: string): string {
  const m = /^color\(srgb\s+([\d.e-]+)\s+([\d.e-]+)\s+([\d.e-]+)(?:\s*\/\s*([\d.e-]+))?\)$/.exec(css.trim());
  if (!m) return css;
  const c = (x: string): number => Math.round(Math.max(0, Math.min(1, Number(x))) * 255);
  const a = m[4] === undefined ? 1 : Number(m[4]);
  return `rgba(${c(m[1])}, ${c(m[2])}, ${c(m[3])}, ${a})`;
}

function base64OfUtf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function rasterise(svg: string): Promise<string> {
  const img = new Image();
  img.src = `data:image/svg+xml;base64,${base64OfUtf8(svg)}`;
  await img.decode();
  const scale = window.devicePixelRatio || 1;
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
  canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
  const g = canvas.getContext('2d');
  if (!g) throw new Error('No 2D canvas for the PNG export.');
  g.scale(scale, scale);
  const bg = getComputedStyle(document.body).backgroundColor;
  g.fillStyle = bg;
  g.fillRect(0, 0, img.naturalWidth, img.naturalHeight);
  g.drawImage(img, 0, 0);
  return canvas.toDataURL('image/png');
}

/** png: base64 without the data: prefix; svg: the SVG text (as the `export` message wants them). */
export async function exportView(handle: ViewHandle, format: 'png' | 'svg'): Promise<string> {
  if (format === 'svg') return handle.toSvg();
  const canvas = handle.toCanvas?.();
  const url = canvas ? canvas.toDataURL('image/png') : await rasterise(handle.toSvg());
  return url.slice(url.indexOf(',') + 1);
}
