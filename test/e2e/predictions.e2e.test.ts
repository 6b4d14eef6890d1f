/**
 * A student, in a real VS Code (code-server): continues a selection with the causal model by ten tokens (the
 * command), sees them appear marked as generated, hovers a token and reads its top-5 next tokens, then switches
 * the panel to the encoder (the selection again, without the generated tokens), masks a word with M and reads the
 * encoder's top-5 fillers. The generated text reaches the document only through "Insert into document". No errors
 * in the logs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CodeServer, sampleWorkspace, startCodeServer } from './codeServer';

const FILE = 'prose.md';
const LINE = 9;

describe('student: predictions and generation (code-server)', () => {
  let vs: CodeServer;

  beforeAll(async () => {
    vs = await startCodeServer();
  });

  afterAll(async () => {
    await vs?.stop();
  });

  it('generates ten tokens, reads a top-5, masks a word in the encoder', async () => {
    onTestFailed(async () => {
      await vs.screenshot('predictions-failure');
      const dir = vs.saveLogs('predictions-failure');
      process.stderr.write(`[e2e predictions] failure artefacts: ${dir}\n`);
    });
    const selected = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n')[LINE - 1];
    await vs.openFile(FILE);
    await vs.selectLines(LINE, LINE);

    // ── continue the text: ten tokens, appended one by one, marked as generated ──
    await vs.runCommand('Attention Lens: Continue Text with the Causal Model');
    const panel = vs.webviewFrame();
    const status = panel.locator('.gen-status');
    await expect.poll(() => status.getAttribute('data-state').catch(() => null), { timeout: 120_000 }).toBe('done');
    const generated = panel.locator('.pane[data-slot="0"] .token-generated');
    expect(await generated.count()).toBe(10);
    const text = (await panel.locator('.text-view').textContent()) ?? '';
    expect(text.startsWith(selected)).toBe(true);
    await vs.screenshot('predictions-generated');

    // ── hover a token: its top-5 next tokens, most likely first, and the real next token's probability ──
    const tokens = panel.locator('.pane[data-slot="0"] .text-view [data-token-index]');
    await tokens.nth(2).hover();
    const items = panel.locator('.pred-item');
    await expect.poll(() => items.count(), { timeout: 60_000 }).toBe(5);
    const ps = await items.evaluateAll((li) => li.map((x) => Number((x as HTMLElement).dataset.p)));
    for (let i = 1; i < ps.length; i++) expect(ps[i - 1]).toBeGreaterThanOrEqual(ps[i]);
    expect(ps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-9);
    expect(await panel.locator('.pred-actual').textContent()).toMatch(/really follows/);
    await vs.screenshot('predictions-top5');

    // ── nothing was written so far; the explicit action inserts the generated text after the selection ──
    const words = ((await generated.allTextContents()).join('').match(/[A-Za-z]{4,}/g) ?? []).slice(-1);
    const editorText = (): Promise<string> => vs.page.locator('.monaco-editor .view-lines').first().innerText();
    if (words.length) expect(await editorText()).not.toContain(words[0]);
    await panel.locator('.gen-insert').click();
    if (words.length) await expect.poll(editorText, { timeout: 30_000 }).toContain(words[0]);

    // ── the encoder (the panel's model dropdown): mask a word with M, read its fillers ──
    await panel.locator('#ctl-model').evaluate((el) => {
      (el as HTMLElement & { value: string }).value = 'encoder';
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await expect.poll(() => panel.locator('.pred-mask').count(), { timeout: 90_000 }).toBe(1);
    // The text of the selection (VS Code grows the selection over text inserted at its end, and the panel follows).
    await expect.poll(async () => ((await panel.locator('.text-view').textContent().catch(() => null)) ?? '').startsWith(selected), { timeout: 90_000 }).toBe(true);
    expect(await panel.locator('.pane[data-slot="0"] .token-generated').count()).toBe(0);
    const word = panel.locator('.pane[data-slot="0"] .text-view [data-token-index]').nth(3);
    await word.hover();
    await word.focus();
    await vs.page.keyboard.press('m');
    await expect.poll(() => panel.locator('.pred-item').count(), { timeout: 60_000 }).toBe(5);
    expect(await panel.locator('.pred-block .pred-heading').textContent()).toMatch(/were masked/);
    await vs.screenshot('predictions-mask');

    vs.expectNoExtensionErrors();
  });
});
