/**
 * All heads: a layers × heads grid of thumbnails, each with its live statistics and pattern label, sortable by
 * any statistic. Click (or Enter on) a thumbnail to open that head. Thumbnails are painted through ImageData
 * (one pass over the pixels), so 100+ heads at a few hundred tokens stay quick.
 */
import { headAt } from '../../src/common/heads';
import type { Slot } from '../../src/protocol/messages';
import { createDropdown } from '../controls';
import { svgDocument, svgEscape } from '../exportView';
import { STAT_KEYS, type HeadStats, type StatKey } from '../headStats';
import { t, type StringKey } from '../strings';
import { canvasTheme, rgbOf, type CanvasTheme } from '../theme';
import { setBlock, type TokenRange } from '../../src/common/translation';
import { layerLabel, shownLayers } from '../translation';
import type { ViewContext, ViewHandle, ViewRenderer } from './viewContext';

const THUMB = 72;

export const STAT_LABEL: Record<StatKey, StringKey> = {
  entropy: 'stats.entropy',
  meanDistance: 'stats.distance',
  prev: 'stats.prev',
  self: 'stats.self',
  first: 'stats.first',
  punct: 'stats.punct',
};

export const PATTERN_LABEL: Record<HeadStats['label'], StringKey> = {
  previous: 'label.previous',
  self: 'label.self',
  first: 'label.first',
  punct: 'label.punct',
  broad: 'label.broad',
  local: 'label.local',
  none: 'label.none',
};

function paintThumb(
  canvas: HTMLCanvasElement,
  data: Float32Array,
  n: number,
  masked: (q: number, k: number) => boolean,
  theme: CanvasTheme,
  crop: { queries: TokenRange; keys: TokenRange } | null,
): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const img = g.createImageData(THUMB, THUMB);
  const [r, gr, b] = rgbOf(theme.accent);
  const [mr, mg, mb] = rgbOf(theme.muted);
  // A translation's head: only its set's block (cross: target rows × source columns).
  const rows = crop?.queries ?? { start: 0, end: n };
  const cols = crop?.keys ?? { start: 0, end: n };
  let max = 0;
  for (let q = rows.start; q < rows.end; q++) for (let k = cols.start; k < cols.end; k++) if (data[q * n + k] > max) max = data[q * n + k];
  for (let py = 0; py < THUMB; py++) {
    const q = rows.start + Math.floor((py * (rows.end - rows.start)) / THUMB);
    for (let px = 0; px < THUMB; px++) {
      const k = cols.start + Math.floor((px * (cols.end - cols.start)) / THUMB);
      const o = (py * THUMB + px) * 4;
      if (masked(q, k)) {
        // Hatched like the matrix view: masked, not zero.
        const on = (px + py) % 4 === 0;
        img.data.set([mr, mg, mb, on ? 110 : 20], o);
      } else {
        const a = max > 0 ? data[q * n + k] / max : 0;
        img.data.set([r, gr, b, Math.round(a * 255)], o);
      }
    }
  }
  g.putImageData(img, 0, 0);
}

export function sortedHeads(stats: Array<HeadStats | null>, heads: number, key: StatKey | 'position', descending: boolean): number[] {
  const idx = stats.map((_, i) => i);
  if (key === 'position') return idx;
  const v = (i: number): number => {
    const s = stats[i];
    return s ? s[key] : Number.NaN;
  };
  void heads;
  return idx.sort((a, b) => {
    const va = v(a);
    const vb = v(b);
    if (Number.isNaN(va)) return 1;
    if (Number.isNaN(vb)) return -1;
    return descending ? vb - va : va - vb;
  });
}

export const renderGridView: ViewRenderer = (host, ctx: ViewContext, slot: Slot): ViewHandle => {
  const start = ctx.analysis(slot);
  const empty: ViewHandle = { updateFocus: () => undefined, toSvg: () => svgDocument(1, 1, '') };
  if (!start) return empty;
  const theme = canvasTheme();
  const H = start.model.heads;
  const stats = ctx.allStats(slot);
  const bar = document.createElement('div');
  bar.className = 'view-bar';
  const legend = document.createElement('p');
  legend.className = 'legend';
  legend.textContent = t('grid.legend');
  bar.append(
    createDropdown(
      `grid-sort-${slot}`,
      t('grid.sort'),
      [{ value: 'position', label: t('grid.sort.position') }, ...STAT_KEYS.map((k) => ({ value: k, label: t(STAT_LABEL[k]) }))],
      ctx.state.sortBy,
      (v) => ctx.setSort(v as StatKey | 'position', v !== 'entropy' && v !== 'meanDistance' ? true : false),
    ),
    legend,
  );
  host.append(bar);
  const grid = document.createElement('div');
  grid.className = 'head-grid';
  const byPosition = ctx.state.sortBy === 'position';
  grid.classList.toggle('by-position', byPosition);
  if (byPosition) grid.style.setProperty('--grid-columns', String(H));
  // A translation lists the heads of the attention shown (its set's stacked layers).
  const set = ctx.attentionSet(slot);
  const layers = shownLayers(start, set);
  const crop = set && start.translation ? setBlock(set, start.translation.sourceCount, start.tokens.length) : null;
  if (byPosition) grid.dataset.layers = String(layers.end - layers.start);
  const order = sortedHeads(stats, H, ctx.state.sortBy, ctx.state.sortDescending).filter((i) => {
    const l = headAt(i, H).layer;
    return l >= layers.start && l < layers.end;
  });
  for (const i of order) {
    const { layer, head } = headAt(i, H);
    const s = stats[i];
    const card = document.createElement('button');
    card.type = 'button';
    card.className = 'head-card';
    card.dataset.layer = String(layer);
    card.dataset.head = String(head);
    if (layer === ctx.state.layer && head === ctx.state.head) card.classList.add('current');
    const canvas = document.createElement('canvas');
    canvas.width = THUMB;
    canvas.height = THUMB;
    canvas.className = 'thumb';
    const m = s ? ctx.headMatrix(slot, layer, head) : null;
    if (m) paintThumb(canvas, m.data, m.n, m.masked, theme, crop);
    const title = document.createElement('span');
    title.className = 'card-title';
    title.textContent = `L${layerLabel(start, layer)} H${head + 1}`;
    const label = document.createElement('span');
    label.className = `card-label label-${s?.label ?? 'none'}`;
    label.textContent = s ? t(PATTERN_LABEL[s.label]) : '…';
    const nums = document.createElement('span');
    nums.className = 'card-stats';
    nums.textContent = s
      ? `H ${s.entropy.toFixed(2)} · d ${s.meanDistance.toFixed(1)} · prev ${pct(s.prev)} · self ${pct(s.self)} · first ${pct(s.first)}`
      : t('banner.loadingHead');
    card.setAttribute('aria-label', `${title.textContent}: ${label.textContent}. ${nums.textContent}`);
    // A narrow panel hides the numbers on the card (styles.css); the tooltip still has them.
    card.title = card.getAttribute('aria-label') ?? '';
    card.append(canvas, title, label, nums);
    card.addEventListener('click', () => ctx.openHead(layer, head));
    grid.append(card);
  }
  host.append(grid);

  const toSvg = (): string => {
    const cards = [...grid.querySelectorAll<HTMLElement>('.head-card')];
    const cols = byPosition ? H : Math.max(1, Math.floor(900 / 180));
    const cw = 180;
    const ch = THUMB + 54;
    const parts = cards.map((c, j) => {
      const x = (j % cols) * cw + 8;
      const y = Math.floor(j / cols) * ch + 8;
      const thumb = c.querySelector('canvas')?.toDataURL('image/png') ?? '';
      const lines = [c.querySelector('.card-title')?.textContent ?? '', c.querySelector('.card-label')?.textContent ?? '', c.querySelector('.card-stats')?.textContent ?? ''];
      return `<image href="${thumb}" x="${x}" y="${y}" width="${THUMB}" height="${THUMB}"/>` +
        lines.map((l, k) => `<text x="${x}" y="${y + THUMB + 14 + k * 13}">${svgEscape(l.slice(0, 40))}</text>`).join('');
    });
    const rows = Math.ceil(cards.length / cols);
    return svgDocument(cols * cw + 16, rows * ch + 16, `<g font-family="${svgEscape(theme.fontFamily)}" font-size="10" fill="${theme.foreground}">${parts.join('')}</g>`, theme.background);
  };
  return { updateFocus: () => undefined, toSvg };
};

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
