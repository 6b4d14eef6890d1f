/**
 * Head statistics: a summary table over all heads, computed live from the weights of this text. Column headers
 * sort; a row's first cell opens that head.
 */
import { headAt } from '../../src/common/heads';
import type { Slot } from '../../src/protocol/messages';
import { svgDocument, svgEscape } from '../exportView';
import { STAT_KEYS, type StatKey } from '../headStats';
import { t } from '../strings';
import { canvasTheme } from '../theme';
import { PATTERN_LABEL, STAT_LABEL, sortedHeads } from './gridView';
import { layerLabel, shownLayers } from '../translation';
import type { ViewContext, ViewHandle, ViewRenderer } from './viewContext';

export const renderStatsView: ViewRenderer = (host, ctx: ViewContext, slot: Slot): ViewHandle => {
  const start = ctx.analysis(slot);
  const empty: ViewHandle = { updateFocus: () => undefined, toSvg: () => svgDocument(1, 1, '') };
  if (!start) return empty;
  const H = start.model.heads;
  const stats = ctx.allStats(slot);
  const legend = document.createElement('p');
  legend.className = 'legend';
  legend.textContent = t('stats.legend');
  const table = document.createElement('table');
  table.className = 'stats-table';
  const thead = table.createTHead().insertRow();
  const headerCell = (text: string, key: StatKey | 'position' | null): void => {
    const th = document.createElement('th');
    th.scope = 'col';
    if (key) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'sort-button';
      const active = ctx.state.sortBy === key;
      b.textContent = active && key !== 'position' ? `${text} ${ctx.state.sortDescending ? '▼' : '▲'}` : text;
      b.addEventListener('click', () => ctx.setSort(key, active ? !ctx.state.sortDescending : true));
      if (active) th.setAttribute('aria-sort', key === 'position' ? 'none' : ctx.state.sortDescending ? 'descending' : 'ascending');
      th.append(b);
    } else {
      th.textContent = text;
    }
    thead.append(th);
  };
  headerCell(t('stats.layerHead'), 'position');
  headerCell(t('stats.label'), null);
  for (const k of STAT_KEYS) headerCell(t(STAT_LABEL[k]), k);
  const body = table.createTBody();
  // A translation lists the heads of the attention shown (its set's stacked layers).
  const layers = shownLayers(start, ctx.attentionSet(slot));
  for (const i of sortedHeads(stats, H, ctx.state.sortBy, ctx.state.sortDescending)) {
    const { layer, head } = headAt(i, H);
    if (layer < layers.start || layer >= layers.end) continue;
    const s = stats[i];
    const row = body.insertRow();
    row.dataset.layer = String(layer);
    row.dataset.head = String(head);
    if (layer === ctx.state.layer && head === ctx.state.head) row.classList.add('current');
    const first = row.insertCell();
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link-button';
    open.textContent = `${layerLabel(start, layer)}.${head + 1}`;
    open.addEventListener('click', () => ctx.openHead(layer, head));
    first.append(open);
    row.insertCell().textContent = s ? t(PATTERN_LABEL[s.label]) : '…';
    for (const k of STAT_KEYS) {
      const c = row.insertCell();
      c.className = 'num';
      c.textContent = s ? (k === 'entropy' || k === 'meanDistance' ? s[k].toFixed(2) : `${(s[k] * 100).toFixed(1)}%`) : '…';
    }
  }
  host.append(legend, table);

  const toSvg = (): string => {
    const theme = canvasTheme();
    const rows = [...table.rows].map((r) => [...r.cells].map((c) => c.textContent ?? ''));
    const colW = [56, 130, 90, 90, 70, 60, 60, 100];
    const parts: string[] = [];
    rows.forEach((r, y) => {
      let x = 8;
      r.forEach((cell, c) => {
        parts.push(`<text x="${x}" y="${20 + y * 16}"${y === 0 ? ' font-weight="bold"' : ''}>${svgEscape(cell)}</text>`);
        x += colW[c] ?? 80;
      });
    });
    return svgDocument(720, rows.length * 16 + 16, `<g font-family="${svgEscape(theme.fontFamily)}" font-size="11" fill="${theme.foreground}">${parts.join('')}</g>`, theme.background);
  };
  return { updateFocus: () => undefined, toSvg };
};
