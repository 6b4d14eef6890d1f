/**
 * Light and dark themes render (the standalone page follows prefers-color-scheme with its own --vscode-*
 * fallbacks), and a VS Code-like high-contrast body class does not break it. Screenshots of every view are
 * saved under test/artifacts/ for a person to look at.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TEXT, analyzeWithCli, launchBrowser, openPage, pickView, screenshot, setDropdown } from './harness';

let browser: Browser;
let html: string;

beforeAll(async () => {
  html = analyzeWithCli('themes-causal', SAMPLE_TEXT, ['--model', 'causal']).html;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

function luminance(css: string): number {
  const m = /rgba?\(([^)]+)\)/.exec(css);
  if (!m) return Number.NaN;
  const [r, g, b] = m[1].split(/[ ,/]+/).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

async function colours(page: Page): Promise<{ bg: string; fg: string; highlight: string; accentCanvas: string }> {
  await page.hover('.text-view [data-token-index="6"]');
  return page.evaluate(() => {
    const body = getComputedStyle(document.body);
    const strongest = [...document.querySelectorAll<HTMLElement>('.text-view .token')].sort(
      (a, b) => Number(b.dataset.weight ?? 0) - Number(a.dataset.weight ?? 0),
    )[0];
    return {
      bg: body.backgroundColor,
      fg: body.color,
      highlight: getComputedStyle(strongest).backgroundColor,
      accentCanvas: body.getPropertyValue('--al-accent'),
    };
  });
}

describe('themes', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme}: readable colours from the theme variables, every view renders`, async () => {
      const { page, errors } = await openPage(browser, html, { colorScheme: scheme });
      const c = await colours(page);
      const bg = luminance(c.bg);
      const fg = luminance(c.fg);
      if (scheme === 'light') expect(bg).toBeGreaterThan(0.8);
      else expect(bg).toBeLessThan(0.2);
      expect(Math.abs(bg - fg)).toBeGreaterThan(0.4);
      expect(c.highlight).not.toBe('rgba(0, 0, 0, 0)');
      await screenshot(page, `${scheme}-text`);
      for (const view of ['head', 'matrix', 'grid', 'computation', 'stats'] as const) {
        await pickView(page, view);
        if (view === 'grid') await page.waitForFunction(() => [...document.querySelectorAll('.card-label')].every((e) => e.textContent !== '…'));
        if (view === 'computation') await page.waitForSelector('.computation .check');
        if (view === 'matrix') {
          const box = await page.$eval('.matrix-canvas', (e) => e.getBoundingClientRect().toJSON() as DOMRect);
          const cell = await page.$eval('.matrix-canvas', (e) => Number((e as HTMLElement).dataset.cell));
          const margin = await page.$eval('.matrix-canvas', (e) => Number((e as HTMLElement).dataset.margin));
          await page.mouse.move(box.x + margin + cell * 3.5, box.y + margin + cell * 9.5);
        }
        await screenshot(page, `${scheme}-${view}`);
      }
      // The toolbar toggles that apply to every view, shown on the text view: rollout across layers, then the
      // same at word level.
      await pickView(page, 'text');
      await setDropdown(page, 'ctl-aggregate', 'rollout');
      await page.hover('.text-view [data-token-index="9"]');
      await page.waitForSelector('.text-view .token[data-weight]');
      await screenshot(page, `${scheme}-rollout`);
      await page.click('#ctl-word');
      await page.hover('.text-view .token >> nth=5');
      await page.waitForSelector('.text-view .token[data-weight]');
      await screenshot(page, `${scheme}-words`);
      await page.click('#ctl-word');
      await setDropdown(page, 'ctl-aggregate', 'head');
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }

  it('high-contrast body class (as VS Code sets it) keeps the page working', async () => {
    const { page, errors } = await openPage(browser, html, { colorScheme: 'dark' });
    await page.evaluate(() => {
      document.body.classList.add('vscode-high-contrast');
      document.body.dataset.vscodeThemeKind = 'vscode-high-contrast';
    });
    await setDropdown(page, 'ctl-aggregate', 'rollout');
    await page.hover('.text-view [data-token-index="4"]');
    const weights = await page.$$eval('.text-view .token[data-weight]', (els) => els.map((e) => Number((e as HTMLElement).dataset.weight)));
    expect(weights.length).toBeGreaterThan(0);
    expect(Math.abs(weights.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(0.05);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
