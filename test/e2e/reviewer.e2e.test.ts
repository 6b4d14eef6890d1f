/**
 * A reviewer, through the UI of a real VS Code (code-server): run "Attention Lens: Compare Encoder and Causal
 * Attention" on a selection → two panes side by side showing the same tokens (the models share a tokenizer),
 * the causal side masking later tokens; switch the mask dropdown to the what-if mask → both sides are analysed
 * again and their labels say what-if. No errors in the logs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CodeServer, sampleWorkspace, startCodeServer } from './codeServer';

const FILE = 'prose.md';
const FROM_LINE = 6;
const TO_LINE = 7;

describe('reviewer: compare mode and the what-if mask (code-server)', () => {
  let vs: CodeServer;

  beforeAll(async () => {
    vs = await startCodeServer();
    process.stderr.write(`[e2e reviewer] timings: ${JSON.stringify(vs.timings)}\n`);
  });

  afterAll(async () => {
    await vs?.stop();
  });

  it('compares encoder and causal on the same tokens, then switches to the what-if mask', async () => {
    onTestFailed(async () => {
      await vs.screenshot('reviewer-failure');
      const dir = vs.saveLogs('reviewer-failure');
      process.stderr.write(`[e2e reviewer] failure artefacts: ${dir}\n`);
    });
    const lines = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n');
    const selected = lines.slice(FROM_LINE - 1, TO_LINE).join('\n');

    await vs.openFile(FILE);
    await vs.selectLines(FROM_LINE, TO_LINE);
    const t0 = Date.now();
    await vs.runCommand('Attention Lens: Compare Encoder and Causal Attention');
    const panel = vs.webviewFrame();
    const left = panel.locator('.pane[data-slot="0"]');
    const right = panel.locator('.pane[data-slot="1"]');
    await expect.poll(() => right.locator('.text-view').textContent().catch(() => null), { timeout: 90_000 }).toBe(selected);
    await expect.poll(() => left.locator('.text-view').textContent().catch(() => null), { timeout: 30_000 }).toBe(selected);
    process.stderr.write(`[e2e reviewer] compare command → both sides painted: ${Date.now() - t0} ms\n`);

    // ── both sides: the same tokens ──
    const leftTokens = await left.locator('.text-view [data-token-index]').allTextContents();
    const rightTokens = await right.locator('.text-view [data-token-index]').allTextContents();
    expect(leftTokens.length).toBeGreaterThan(10);
    expect(rightTokens).toEqual(leftTokens);
    expect(leftTokens.join('')).toBe(selected);
    const titles = async () => [await left.locator('.pane-title').textContent(), await right.locator('.pane-title').textContent()];
    const [lt, rt] = await titles();
    expect(lt).toMatch(/Encoder/i);
    expect(rt).toMatch(/Causal/i);
    expect(`${lt} ${rt}`).not.toContain('what-if');
    // Focus is kept in sync; only the causal side masks later tokens.
    const q = Math.floor(leftTokens.length / 2);
    await left.locator(`.text-view [data-token-index="${q}"]`).hover();
    await expect
      .poll(() => panel.locator('.text-view .token.focused').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.tokenIndex)))
      .toEqual([String(q), String(q)]);
    expect(await left.locator('.token[data-masked]').count()).toBe(0);
    expect(await right.locator('.token[data-masked]').count()).toBeGreaterThan(0);
    await vs.screenshot('reviewer-compare');

    // ── switch the mask to what-if, through the dropdown ──
    const mask = panel.locator('#ctl-mask');
    await mask.click();
    const option = mask.locator('vscode-option[value="whatIf"]');
    await option.waitFor({ state: 'visible', timeout: 10_000 });
    await option.click();
    const t1 = Date.now();
    await expect.poll(async () => (await titles()).map((x) => (x ?? '').includes('(what-if)')), { timeout: 90_000 }).toEqual([true, true]);
    process.stderr.write(`[e2e reviewer] what-if chosen → both labels say what-if: ${Date.now() - t1} ms\n`);
    const [lw, rw] = await titles();
    // The encoder now runs with the causal mask, the causal model with the full one.
    expect(lw).toMatch(/causal/i);
    expect(rw).toMatch(/full/i);
    await expect.poll(() => panel.locator('.status .what-if').count()).toBe(2);
    expect(await panel.locator('.status .what-if').first().textContent()).toMatch(/what-if/i);
    // Still the same tokens on both sides, and the masks swapped.
    await expect.poll(() => left.locator('.text-view [data-token-index]').allTextContents()).toEqual(leftTokens);
    expect(await right.locator('.text-view [data-token-index]').allTextContents()).toEqual(leftTokens);
    await left.locator(`.text-view [data-token-index="${q}"]`).hover();
    await expect.poll(() => left.locator('.token[data-masked]').count()).toBeGreaterThan(0);
    expect(await right.locator('.token[data-masked]').count()).toBe(0);
    await vs.screenshot('reviewer-whatif');

    vs.expectNoExtensionErrors();
  });
});
