/**
 * Text view in real Chromium on the standalone page made by the CLI from the real bundled model: hovering a
 * token highlights the tokens it attends to, with the weights the CLI's JSON gives for the same text.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEIGHT_LEVELS } from '../../webview/theme';
import { SAMPLE_TEXT, alphaOf, analyzeWithCli, launchBrowser, openPage, pickView, setDropdown, type CliJson, type OpenedPage } from './harness';

/** Quantised to uint8 on the way (≤ 1/510), then printed with 3 decimals (≤ 0.0005). */
const QUANT_TOL = 1 / 510 + 0.0005 + 1e-6;

let browser: Browser;
let opened: OpenedPage;
let page: Page;
let json: CliJson;

interface TokenState {
  index: number;
  weight: number | null;
  masked: boolean;
  alpha: number;
  tabIndex: number;
  label: string;
  text: string;
}

async function tokenStates(p: Page): Promise<TokenState[]> {
  // aria-labels are written after the view's first paint (textView.ts labelTokensAfterPaint): wait for all.
  await p.waitForFunction(() => [...document.querySelectorAll('.pane[data-slot="0"] .text-view .token')].every((e) => e.hasAttribute('aria-label')));
  const raw = await p.$$eval('.pane[data-slot="0"] .text-view .token', (els) =>
    els.map((e) => {
      const el = e as HTMLElement;
      return {
        index: Number(el.dataset.tokenIndex),
        weight: el.dataset.weight === undefined ? null : Number(el.dataset.weight),
        masked: el.dataset.masked === 'true',
        bg: getComputedStyle(el).backgroundColor,
        tabIndex: el.tabIndex,
        label: el.getAttribute('aria-label') ?? '',
        text: el.textContent ?? '',
      };
    }),
  );
  return raw.map(({ bg, ...rest }) => ({ ...rest, alpha: alphaOf(bg) }));
}

beforeAll(async () => {
  const made = analyzeWithCli('text-encoder', SAMPLE_TEXT, ['--model', 'encoder']);
  json = made.json;
  const html = made.html;
  browser = await launchBrowser();
  opened = await openPage(browser, html);
  page = opened.page;
  // The page opens on the model's default head (model.json default_head, see defaultHead.test.ts); the checks
  // below compare with layer 1, head 1 of the CLI's JSON.
  await setDropdown(page, 'ctl-layer', '0');
  await setDropdown(page, 'ctl-head', '0');
});

afterAll(async () => {
  await browser?.close();
});

describe('text view (encoder, real model)', () => {
  it('shows every token of the CLI output as text, in order', async () => {
    const states = await tokenStates(page);
    expect(states.map((s) => s.index)).toEqual(json.tokens.map((_, i) => i));
    const shown = await page.$eval('.text-view', (el) => el.textContent);
    expect(shown).toBe(SAMPLE_TEXT);
  });

  it('hovering a token highlights the tokens it attends to, following the JSON weights', async () => {
    for (const focus of [3, 10, json.tokens.length - 1]) {
      await page.hover(`.text-view [data-token-index="${focus}"]`);
      const states = await tokenStates(page);
      const row = json.attention[0][0][focus];
      for (const s of states) {
        expect(s.weight, `token ${s.index}`).not.toBeNull();
        expect(Math.abs((s.weight as number) - row[s.index])).toBeLessThanOrEqual(QUANT_TOL);
      }
      // Background alpha follows the weights: a heavier token is never lighter, and one heavier by more than a
      // tint step (1/WEIGHT_LEVELS of the scale, whose top is at most 1) is darker.
      for (const a of states) {
        for (const b of states) {
          if (row[a.index] > row[b.index]) expect(a.alpha, `${a.index} vs ${b.index}`).toBeGreaterThanOrEqual(b.alpha);
          if (row[a.index] > row[b.index] + 1 / WEIGHT_LEVELS) expect(a.alpha, `${a.index} vs ${b.index}`).toBeGreaterThan(b.alpha);
        }
      }
      const strongest = row.indexOf(Math.max(...row));
      expect(states[strongest].alpha).toBeGreaterThan(0.9);
    }
  });

  it('follows the chosen layer and head', async () => {
    await setDropdown(page, 'ctl-layer', '1');
    await setDropdown(page, 'ctl-head', '2');
    await page.hover('.text-view [data-token-index="5"]');
    const states = await tokenStates(page);
    const row = json.attention[1][2][5];
    for (const s of states) expect(Math.abs((s.weight as number) - row[s.index])).toBeLessThanOrEqual(QUANT_TOL);
  });

  it('flips direction: "attended by" shows the column', async () => {
    await setDropdown(page, 'ctl-direction', 'from');
    await page.hover('.text-view [data-token-index="4"]');
    const states = await tokenStates(page);
    for (const s of states) expect(Math.abs((s.weight as number) - json.attention[1][2][s.index][4])).toBeLessThanOrEqual(QUANT_TOL);
    expect(states[0].label).toContain('Attended most by');
    await setDropdown(page, 'ctl-direction', 'to');
  });

  it('mean over heads equals the mean of the JSON heads', async () => {
    await setDropdown(page, 'ctl-aggregate', 'mean');
    await page.hover('.text-view [data-token-index="7"]');
    const states = await tokenStates(page);
    for (const s of states) {
      const mean = json.attention[1].reduce((acc, head) => acc + head[7][s.index], 0) / json.heads;
      expect(Math.abs((s.weight as number) - mean)).toBeLessThanOrEqual(QUANT_TOL);
    }
    await setDropdown(page, 'ctl-aggregate', 'head');
  });

  it('keyboard: roving tabindex, arrows/Home/End move focus, aria-labels name the top-3 attended tokens', async () => {
    await setDropdown(page, 'ctl-layer', '0');
    await setDropdown(page, 'ctl-head', '0');
    // Keyboard only: the mouse rests outside the text (a re-render under a resting pointer counts as a hover).
    await page.mouse.move(1, 1);
    await page.waitForTimeout(50);
    await page.focus('.text-view [data-token-index="2"]');
    let states = await tokenStates(page);
    expect(states.filter((s) => s.tabIndex === 0).map((s) => s.index)).toEqual([2]);
    const active = (): Promise<string | undefined> => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.tokenIndex);
    await page.keyboard.press('ArrowRight');
    expect(await active()).toBe('3');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await active()).toBe('1');
    // Down goes to the next visual line (as a caret would), Up comes back to the first one.
    const top = (): Promise<number> => page.evaluate(() => (document.activeElement as HTMLElement).getBoundingClientRect().top);
    const lineOne = await top();
    await page.keyboard.press('ArrowDown');
    expect(await top()).toBeGreaterThan(lineOne);
    expect(Number(await active())).toBeGreaterThan(json.tokens.findIndex((t) => t.text.includes('\n')));
    await page.keyboard.press('ArrowUp');
    expect(await top()).toBe(lineOne);
    await page.keyboard.press('End');
    expect(await active()).toBe(String(json.tokens.length - 1));
    await page.keyboard.press('Home');
    expect(await active()).toBe('0');
    states = await tokenStates(page);
    expect(states.filter((s) => s.tabIndex === 0).map((s) => s.index)).toEqual([0]);
    // Focus (not only hover) drives the highlight.
    const row = json.attention[0][0][0];
    for (const s of states) expect(Math.abs((s.weight as number) - row[s.index])).toBeLessThanOrEqual(QUANT_TOL);
    // aria-label: its text and its top-3 attended tokens, strongest first, with their weights (2 decimals).
    for (const i of [0, 6, 12]) {
      const label = states[i].label;
      const r = json.attention[0][0][i];
      expect(label).toContain(`“${json.tokens[i].text}”`);
      const entries = [...label.matchAll(/“([^”]*)” (\d\.\d\d)/g)].map((m) => ({ text: m[1], weight: Number(m[2]) }));
      expect(entries.length).toBe(3);
      const sorted = [...r].sort((a, b) => b - a);
      entries.forEach((e, rank) => {
        // Ties are broken on quantised weights in the page, so compare weights, not indices.
        expect(Math.abs(e.weight - sorted[rank]), `${label}`).toBeLessThanOrEqual(0.005 + QUANT_TOL);
        const match = r.some((w, j) => (json.tokens[j].text.trim() || json.tokens[j].text) === e.text && Math.abs(w - e.weight) <= 0.005 + QUANT_TOL);
        expect(match, `${e.text} in ${label}`).toBe(true);
      });
    }
  });

  it('labels the tokens after the view is drawn, and a token hovered before its turn at once', async () => {
    // Caught in the render's own turn (a MutationObserver runs right after it, before the next frame): the view
    // is marked as showing the head, no token is labelled yet, and hovering the last token labels it there and then.
    // Nothing focused or hovered first (a focused token is labelled as the render restores its focus).
    await page.mouse.move(1, 1);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const atRender = await page.evaluate(
      () =>
        new Promise<{ labelled: number; tokens: number; hovered: string | null; first: string | null }>((resolve) => {
          const old = document.querySelector<HTMLElement>('.pane[data-slot="0"] .text-view');
          if (old) old.dataset.probeOld = 'true';
          const mo = new MutationObserver(() => {
            const view = document.querySelector('.pane[data-slot="0"] .text-view[data-head-ready]:not([data-probe-old])');
            if (!view) return;
            mo.disconnect();
            const tokens = [...view.querySelectorAll('.token')];
            const labelled = tokens.filter((e) => e.hasAttribute('aria-label')).length;
            const last = tokens[tokens.length - 1];
            last.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
            resolve({ labelled, tokens: tokens.length, hovered: last.getAttribute('aria-label'), first: tokens[0].getAttribute('aria-label') });
          });
          mo.observe(document.body, { subtree: true, childList: true, attributes: true });
          const head = document.getElementById('ctl-head') as HTMLElement & { value: string };
          head.value = '1';
          head.dispatchEvent(new Event('change', { bubbles: true }));
        }),
    );
    expect(atRender.tokens).toBe(json.tokens.length);
    expect(atRender.labelled).toBe(0);
    expect(atRender.first).toBeNull();
    const n = json.tokens.length;
    expect(atRender.hovered).toContain(`“${json.tokens[n - 1].text}”`);
    // Then every token gets its label, the hovered one unchanged.
    const states = await tokenStates(page);
    expect(states.every((x) => x.label.length > 0)).toBe(true);
    expect(states[n - 1].label).toBe(atRender.hovered);
  });

  it('Enter opens the computation view for the focused token', async () => {
    await page.focus('.text-view [data-token-index="4"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.pane[data-view="computation"] .check');
    const title = await page.textContent('.computation h3');
    expect(title).toContain(`token 5`);
    await pickView(page, 'text');
  });

  it('word level merges subwords: sum over a word’s keys, rows still sum to 1', async () => {
    await page.click('#ctl-word');
    await page.waitForFunction(() => document.querySelectorAll('.text-view .token').length > 0);
    await page.hover('.text-view .token >> nth=3');
    const weights = await page.$$eval('.text-view .token', (els) => els.map((e) => Number((e as HTMLElement).dataset.weight)));
    expect(weights.length).toBeLessThanOrEqual(json.tokens.length);
    const sum = weights.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - 1)).toBeLessThan(0.02 * weights.length);
    await page.click('#ctl-word');
  });

  it('made no request outside the page and logged no error', () => {
    const outside = opened.requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(outside).toEqual([]);
    expect(opened.requests.filter((u) => u.startsWith('file://')).length).toBe(1);
    expect(opened.errors).toEqual([]);
  });
});
