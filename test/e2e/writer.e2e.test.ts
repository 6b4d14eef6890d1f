/**
 * A writer, through the UI of a real VS Code (code-server): select a paragraph of prose, show its attention,
 *  - focus (hover) a token in the panel → the overlay's decorations appear over the text in the editor;
 *  - move the editor cursor onto another token of the analysed range → the panel's focused token follows;
 *  - type a character in the document → the decorations vanish at once;
 * and the extension's log, the extension host log and the page console hold no errors.
 *
 * Editor decorations made with `createTextEditorDecorationType` render in Monaco as elements whose class is
 * `ced-<type key>-<n>` (background colours in `.view-overlays`, borders likewise): that is what is counted here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CodeServer, sampleWorkspace, startCodeServer } from './codeServer';

const FILE = 'prose.md';
const FROM_LINE = 3;
const TO_LINE = 4;

describe('writer: the editor overlay follows the panel and the cursor (code-server)', () => {
  let vs: CodeServer;

  beforeAll(async () => {
    vs = await startCodeServer();
    process.stderr.write(`[e2e writer] timings: ${JSON.stringify(vs.timings)}\n`);
  });

  afterAll(async () => {
    await vs?.stop();
  });

  it('hover → decorations in the editor; cursor → panel focus; typing → decorations gone', async () => {
    onTestFailed(async () => {
      await vs.screenshot('writer-failure');
      const dir = vs.saveLogs('writer-failure');
      process.stderr.write(`[e2e writer] failure artefacts: ${dir}\n`);
    });
    const lines = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n');
    const selected = lines.slice(FROM_LINE - 1, TO_LINE).join('\n');

    await vs.openFile(FILE);
    await vs.selectLines(FROM_LINE, TO_LINE);
    expect(await vs.waitForSelectionStatus()).toBe(selected.length);
    await vs.runCommand('Attention Lens: Show Attention for Selection');
    const panel = vs.webviewFrame();
    const tokens = panel.locator('.text-view [data-token-index]');
    await expect.poll(() => panel.locator('.text-view').textContent().catch(() => null), { timeout: 90_000 }).toBe(selected);
    const n = await tokens.count();
    expect(n).toBeGreaterThan(10);

    const editor = vs.textEditor(FILE);
    const decorations = editor.locator('[class*="ced-"]');
    expect(await decorations.count(), 'no overlay before any focus').toBe(0);

    // ── focus a token in the panel → decorations over the text ──
    const q = Math.floor(n / 2);
    const t0 = Date.now();
    await tokens.nth(q).hover();
    await expect.poll(() => tokens.nth(q).getAttribute('class')).toContain('focused');
    await expect.poll(() => decorations.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    process.stderr.write(`[e2e writer] panel hover → editor decorations: ${Date.now() - t0} ms (${await decorations.count()} elements)\n`);
    // All of them lie on the analysed lines (3–4), none elsewhere.
    const drawnOn = await vs.decoratedLines(FILE);
    expect(drawnOn.length).toBeGreaterThan(0);
    for (const l of drawnOn) expect([FROM_LINE, TO_LINE], `decoration on line ${l}`).toContain(l);
    await vs.screenshot('writer-overlay');

    // ── move the editor cursor onto another token → the panel's focus follows ──
    // Pick a token of line 3 well away from q, in the middle of a word, and put the cursor inside it.
    const texts = await tokens.allTextContents();
    let offset = 0;
    const starts = texts.map((t) => {
      const s = offset;
      offset += t.length;
      return s;
    });
    const target = texts.findIndex((t, i) => i !== q && Math.abs(i - q) > 2 && t.trim().length >= 3 && starts[i] + t.length <= lines[FROM_LINE - 1].length);
    expect(target).toBeGreaterThanOrEqual(0);
    const column = starts[target] + 2; // 1-based column of the token's second character
    // Move the mouse off the panel so a hover does not hold the focus, then put the cursor there.
    await vs.page.mouse.move(5, 5);
    await vs.goToLine(FROM_LINE, column);
    await expect
      .poll(() => panel.locator('.text-view .token.focused').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.tokenIndex))), { timeout: 15_000 })
      .toEqual([target]);
    await expect.poll(() => decorations.count(), { timeout: 15_000 }).toBeGreaterThan(0);

    // ── type a character → the decorations vanish at once ──
    const t1 = Date.now();
    await vs.page.keyboard.type('x');
    await expect.poll(() => decorations.count(), { timeout: 5_000, interval: 20 }).toBe(0);
    process.stderr.write(`[e2e writer] keystroke → decorations gone: ${Date.now() - t1} ms\n`);
    // And they stay gone: hovering the (now stale) panel draws nothing over the edited text.
    await tokens.nth(q).hover();
    await expect.poll(() => tokens.nth(q).getAttribute('class')).toContain('focused');
    await vs.page.waitForTimeout(500);
    expect(await decorations.count(), 'a stale analysis draws nothing after an edit').toBe(0);

    // ── nothing went wrong along the way ──
    vs.expectNoExtensionErrors();
    expect(await vs.dialogText(), 'an error dialog').toBeNull();
  });
});
