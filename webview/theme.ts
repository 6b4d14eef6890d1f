/**
 * Colours for canvas drawing. The DOM uses `--vscode-*` variables directly in CSS; a canvas needs concrete
 * colour strings, so we resolve the same variables through a hidden probe element (never a hard-coded hex).
 * Resolved colours are cached until the theme changes (VS Code swaps body classes; the standalone page follows
 * prefers-color-scheme).
 */
export interface CanvasTheme {
  foreground: string;
  muted: string;
  background: string;
  accent: string;
  negative: string;
  focus: string;
  /** Distinct colours for several heads at once. */
  palette: string[];
  fontFamily: string;
  fontSize: number;
}

/**
 * The theme colours heads are drawn in, in order: the six chart colours, then terminal ANSI colours (every VS Code
 * theme, high contrast included, defines both sets), so that all heads of a 12-head layer get a colour of their own.
 * Beyond twelve heads the colours repeat.
 */
export const HEAD_COLOR_VARIABLES = [
  '--vscode-charts-blue',
  '--vscode-charts-orange',
  '--vscode-charts-green',
  '--vscode-charts-purple',
  '--vscode-charts-red',
  '--vscode-charts-yellow',
  '--vscode-terminal-ansiCyan',
  '--vscode-terminal-ansiMagenta',
  '--vscode-terminal-ansiBrightBlue',
  '--vscode-terminal-ansiBrightGreen',
  '--vscode-terminal-ansiBrightYellow',
  '--vscode-terminal-ansiBrightRed',
] as const;

let cached: CanvasTheme | null = null;
const listeners = new Set<() => void>();

function resolve(probe: HTMLElement, cssColor: string): string {
  probe.style.color = '';
  probe.style.color = cssColor;
  return getComputedStyle(probe).color;
}

export function canvasTheme(): CanvasTheme {
  if (cached) return cached;
  const probe = document.createElement('span');
  probe.className = 'color-probe';
  document.body.append(probe);
  const bodyStyle = getComputedStyle(document.body);
  const palette = HEAD_COLOR_VARIABLES.map((v) => resolve(probe, `var(${v}, var(--vscode-foreground))`));
  cached = {
    foreground: resolve(probe, 'var(--vscode-foreground)'),
    muted: resolve(probe, 'var(--vscode-descriptionForeground, var(--vscode-foreground))'),
    background: resolve(probe, 'var(--vscode-editor-background)'),
    accent: resolve(probe, 'var(--al-accent)'),
    negative: resolve(probe, 'var(--al-negative)'),
    focus: resolve(probe, 'var(--vscode-focusBorder)'),
    palette,
    fontFamily: bodyStyle.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace',
    fontSize: 12,
  };
  probe.remove();
  return cached;
}

/** Call `fn` whenever the theme changes (after the cache has been dropped). */
export function onThemeChange(fn: () => void): void {
  listeners.add(fn);
}

export function watchTheme(): void {
  const changed = (): void => {
    cached = null;
    for (const fn of listeners) fn();
  };
  new MutationObserver(changed).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  // The standalone page follows the system scheme. Mirroring it in a body class also wakes the toolkit, which
  // re-reads the --vscode-* variables only when the body's class changes.
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const mirror = (): void => {
    if (document.body.classList.contains('standalone')) document.body.classList.toggle('standalone-dark', media.matches);
  };
  mirror();
  media.addEventListener('change', mirror);
}

/** `rgb(r, g, b)` → `rgba(r, g, b, a)`; canvas also accepts the CSS color() syntax Chrome returns for some values. */
export function withAlpha(color: string, alpha: number): string {
  const a = Math.max(0, Math.min(1, alpha));
  const m = /^rgba?\(([^)]+)\)$/.exec(color);
  if (m) {
    const [r, g, b] = m[1].split(',').map((x) => x.trim());
    return `rgba(${r}, ${g}, ${b}, ${a})`;
  }
  return `color-mix(in srgb, ${color} ${(a * 100).toFixed(1)}%, transparent)`;
}

/** How many tint steps the text view draws (styles.css defines `.token.w1` … `.token.w20`). */
export const WEIGHT_LEVELS = 20;

/**
 * The tint step for an intensity in [0, 1]: 0 = no tint, WEIGHT_LEVELS = full accent. Steps of 5% are finer
 * than a background tint can be told apart, and they let a hover touch only the tokens whose step changed —
 * at 512 tokens, with one percent steps, a hover restyled ~230 tokens.
 */
export function weightLevel(intensity: number): number {
  return Math.round(Math.max(0, Math.min(1, intensity)) * WEIGHT_LEVELS);
}

/** `rgb(r, g, b)` / `rgba(r, g, b, a)` → [r, g, b] (what getComputedStyle returns for resolved colours). */
export function rgbOf(color: string): [number, number, number] {
  const m = /rgba?\(([^)]+)\)/.exec(color);
  if (!m) return [128, 128, 128];
  const [r, g, b] = m[1].split(/[\s,/]+/).filter(Boolean).map((x) => Number.parseFloat(x));
  return [r, g, b];
}
