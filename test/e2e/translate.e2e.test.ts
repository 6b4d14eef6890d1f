/**
 * A student, in a real VS Code (code-server): selects an English line, runs "Translate Selection", watches the
 * translation appear, hovers a Chinese token and sees the English tokens its writing step looked at light up in the
 * panel (cross-attention: the weights over the source sum to 1) and on their own text in the editor; then aligns a
 * translation of their own (teacher forcing) typed into the panel. No errors in the logs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CodeServer, sampleWorkspace, startCodeServer } from './codeServer';

const FILE = 'messages.md';
const LINE = 3;
const OWN = '在新窗口中打开文件';

describe('student: Translate Selection and cross-attention (code-server)', () => {
  let vs: CodeServer;

  beforeAll(async () => {
    vs = await startCodeServer();
  });

  afterAll(async () => {
    await vs?.stop();
  });

  it('translates, lights the source tokens a target token looked at (panel and editor), aligns an own translation', async () => {
    onTestFailed(async () => {
      await vs.screenshot('translate-failure');
      const dir = vs.saveLogs('translate-failure');
      process.stderr.write(`[e2e translate] failure artefacts: ${dir}\n`);
    });
    const selected = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n')[LINE - 1];
    await vs.openFile(FILE);
    await vs.selectLines(LINE, LINE);
    expect(await vs.waitForSelectionStatus()).toBe(selected.length);

    await vs.runCommand('Attention Lens: Translate Selection (English ↔ Chinese) and Show Its Attention');
    const panel = vs.webviewFrame();
    const status = panel.locator('.translation-status');
    await expect.poll(() => status.getAttribute('data-state').catch(() => null), { timeout: 120_000 }).toBe('done');
    expect(await panel.locator('.translation-bar').getAttribute('data-to')).toBe('zh');
    const sourceTokens = panel.locator('.pane[data-slot="0"] .text-view .text-block[data-side="source"] [data-token-index]');
    const targetTokens = panel.locator('.pane[data-slot="0"] .text-view .text-block[data-side="target"] [data-token-index]');
    // The source block reads as the selection (its end token is marked special, shown by name).
    const sourceText = (await panel.locator('.pane[data-slot="0"] .text-view .text-block[data-side="source"] .text-block-body').textContent()) ?? '';
    expect(sourceText.startsWith(selected)).toBe(true);
    expect(await targetTokens.count()).toBeGreaterThan(1); // the start tag and at least one written token
    await vs.screenshot('translate-done');

    // ── Cross (the default attention): hover a written target token → source tokens light up, weights summing to 1 ──
    const written = targetTokens.nth(1);
    await written.hover();
    await expect.poll(() => written.getAttribute('class')).toContain('focused');
    const weightsOf = (): Promise<number[]> =>
      sourceTokens.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.weight ?? 'NaN')));
    await expect.poll(async () => (await weightsOf()).filter((w) => Number.isFinite(w)).length, { timeout: 15_000 }).toBeGreaterThan(0);
    const weights = (await weightsOf()).map((w) => (Number.isFinite(w) ? w : 0));
    const sum = weights.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - 1), `source weights ${weights.join(', ')}`).toBeLessThan(0.03);
    // No target token is lit by a cross-attention row: its keys are the source.
    const targetLit = await targetTokens.evaluateAll((els) => els.filter((e) => (e as HTMLElement).dataset.weight !== undefined).length);
    expect(targetLit).toBe(0);

    // ── the same weights on the user's own text in the editor: decorations on the selected line only ──
    const editor = vs.textEditor(FILE);
    const decorations = editor.locator('[class*="ced-"]');
    await expect.poll(() => decorations.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const lines = await vs.decoratedLines(FILE);
    expect(lines).toEqual([LINE]);
    await vs.screenshot('translate-hover');

    // ── the student's own translation: aligned (teacher forcing), the target block shows exactly it ──
    await vs.page.mouse.move(5, 5);
    const box = panel.locator('#ctl-own-target');
    await box.fill(OWN);
    await box.press('Enter');
    await expect.poll(() => panel.locator('.translation-bar').getAttribute('data-forced').catch(() => null), { timeout: 60_000 }).toBe('true');
    await expect.poll(() => status.getAttribute('data-state').catch(() => null), { timeout: 60_000 }).toBe('done');
    const targetText = (await panel.locator('.pane[data-slot="0"] .text-view .text-block[data-side="target"] .text-block-body').textContent()) ?? '';
    expect(targetText.endsWith(OWN)).toBe(true);

    vs.expectNoExtensionErrors();
    expect(await vs.dialogText(), 'an error dialog').toBeNull();
  });
});
