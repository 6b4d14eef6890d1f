/**
 * A student, through the UI of a real VS Code (code-server): analyse a selection, open the "All heads" grid,
 * click a thumbnail → that layer/head is selected (the toolbar's layer and head say so, the text view shows it);
 * then focus one token and open the computation view → its recomputed softmax matches the model's row
 * (displayed max |difference| ≤ 1e-4, the ✓ check) and the steps are explained. No errors in the logs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CodeServer, sampleWorkspace, startCodeServer } from './codeServer';

const FILE = 'prose.md';
const FROM_LINE = 9;
const TO_LINE = 10;

describe('student: all heads grid and the computation view (code-server)', () => {
  let vs: CodeServer;

  beforeAll(async () => {
    vs = await startCodeServer();
    process.stderr.write(`[e2e student] timings: ${JSON.stringify(vs.timings)}\n`);
  });

  afterAll(async () => {
    await vs?.stop();
  });

  it('picks a head from the grid, then checks the computation for one token', async () => {
    onTestFailed(async () => {
      await vs.screenshot('student-failure');
      const dir = vs.saveLogs('student-failure');
      process.stderr.write(`[e2e student] failure artefacts: ${dir}\n`);
    });
    const lines = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n');
    const selected = lines.slice(FROM_LINE - 1, TO_LINE).join('\n');

    await vs.openFile(FILE);
    await vs.selectLines(FROM_LINE, TO_LINE);
    await vs.runCommand('Attention Lens: Show Attention for Selection');
    const panel = vs.webviewFrame();
    await expect.poll(() => panel.locator('.text-view').textContent().catch(() => null), { timeout: 90_000 }).toBe(selected);

    // ── the all-heads grid: L × H thumbnails ──
    await panel.locator('#ctl-view-grid').click();
    await panel.locator('.pane[data-view="grid"]').waitFor({ timeout: 30_000 });
    const cards = panel.locator('.head-card');
    await expect.poll(() => cards.count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
    const all = await cards.evaluateAll((cs) => cs.map((c) => ({ layer: Number((c as HTMLElement).dataset.layer), head: Number((c as HTMLElement).dataset.head) })));
    const layers = Math.max(...all.map((c) => c.layer)) + 1;
    const heads = Math.max(...all.map((c) => c.head)) + 1;
    expect(all.length).toBe(layers * heads);
    await vs.screenshot('student-grid');

    // ── click a thumbnail (not the default head) → that head is selected ──
    const layer = layers - 1;
    const head = Math.min(2, heads - 1);
    await panel.locator(`.head-card[data-layer="${layer}"][data-head="${head}"]`).click();
    await panel.locator('.pane[data-view="text"]').waitFor({ timeout: 15_000 });
    const picked = async () =>
      panel.locator('body').evaluate(() => ({
        layer: (document.getElementById('ctl-layer') as HTMLElement & { value: string }).value,
        head: (document.getElementById('ctl-head') as HTMLElement & { value: string }).value,
      }));
    await expect.poll(picked).toEqual({ layer: String(layer), head: String(head) });

    // ── the computation view for one token ──
    const tokens = panel.locator('.text-view [data-token-index]');
    const n = await tokens.count();
    const q = Math.min(6, n - 1);
    await tokens.nth(q).hover();
    await expect.poll(() => tokens.nth(q).getAttribute('class')).toContain('focused');
    // Keyboard, as the README says: Enter on the focused token opens its computation.
    await tokens.nth(q).focus();
    await vs.page.keyboard.press('Enter');
    const check = panel.locator('.computation .check');
    await check.waitFor({ timeout: 30_000 });
    const shown = await check.evaluate((e) => ({ ok: (e as HTMLElement).dataset.ok, maxDiff: (e as HTMLElement).dataset.maxDiff, text: e.textContent ?? '' }));
    process.stderr.write(`[e2e student] computation check for L${layer + 1} H${head + 1} token ${q}: ${JSON.stringify(shown)}\n`);
    expect(shown.ok).toBe('true');
    expect(Number(shown.maxDiff)).toBeLessThanOrEqual(1e-4);
    expect(shown.text).toContain('✓');
    // The figure as displayed (toExponential, e.g. "3.58e-8") is ≤ 1e-4 too.
    const displayed = /(\d+\.\d+e[-+]\d+)/i.exec(shown.text);
    expect(displayed, `a number in "${shown.text}"`).not.toBeNull();
    expect(Number(displayed![1])).toBeLessThanOrEqual(1e-4);
    // Still the picked head, one row per key token, the steps explained.
    await expect.poll(picked).toEqual({ layer: String(layer), head: String(head) });
    expect(await panel.locator('.comp-table tbody tr').count()).toBe(n);
    expect(await panel.locator('.computation .step').count()).toBeGreaterThanOrEqual(6);
    await vs.screenshot('student-computation');

    vs.expectNoExtensionErrors();
  });
});
