/**
 * End-to-end, through the UI of a real VS Code (code-server) in Chromium:
 * open a sample file, select two lines, run "Attention Lens: Show Attention for Selection", and check that
 *  - the panel shows the selection as tokens, laid out as it reads (line break kept), one element per token
 *    (`data-token-index` 0…n-1) whose text is exactly the tokenizer's piece of the selection;
 *  - hovering a token highlights the others with `data-weight` = the real model's attention weight
 *    (layer 0, head 0, the panel's default), checked against the CLI running the same text independently;
 *  - hovering another token changes the highlights;
 *  - the extension's log, the extension host log and the page console hold no errors.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CodeServer, extraModelsDir, repoRoot, sampleWorkspace, startCodeServer } from './codeServer';

const COMMAND_TITLE = 'Attention Lens: Show Attention for Selection';
const FILE = 'prose.md';
const FROM_LINE = 3;
const TO_LINE = 4;
/** uint8 quantisation (≤ 1/510) + rounding to 3 decimals (≤ 0.0005), with a little room. */
const WEIGHT_TOLERANCE = 0.003;

interface CliResult {
  model: string;
  kind: string;
  mask: string;
  layers: number;
  heads: number;
  tokens: { text: string; start: number; end: number }[];
  attention: number[][][][];
}

/** The same text through the CLI (same host pipeline, no VS Code): the reference for tokens and weights. */
function analyzeWithCli(text: string): CliResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-e2e-cli-'));
  try {
    const file = path.join(dir, 'selection.txt');
    writeFileSync(file, text);
    const args = [path.join(repoRoot, 'dist', 'cli.js'), 'analyze', file, '--json', ...(extraModelsDir ? ['--models-dir', extraModelsDir] : [])];
    // stdout goes to a file, not a pipe: a pipe may be cut short if the CLI exits before Node flushes it
    // (seen at 64 KiB boundaries); a file is written synchronously.
    const outFile = path.join(dir, 'out.json');
    const fd = openSync(outFile, 'w');
    try {
      execFileSync(process.execPath, args, { stdio: ['ignore', fd, 'pipe'] });
    } finally {
      closeSync(fd);
    }
    return JSON.parse(readFileSync(outFile, 'utf8')) as CliResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Attention Lens: Show Attention for Selection (code-server)', () => {
  let vs: CodeServer;

  beforeAll(async () => {
    vs = await startCodeServer();
    process.stderr.write(`[e2e] timings: ${JSON.stringify(vs.timings)}\n`);
  });

  afterAll(async () => {
    await vs?.stop();
  });

  it('shows the selected text as tokens, and hovering a token highlights what it attends to', async () => {
    onTestFailed(async () => {
      await vs.screenshot('showSelection-failure');
      const dir = vs.saveLogs('showSelection-failure');
      process.stderr.write(`[e2e] failure artefacts: ${dir}\n`);
    });

    const lines = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n');
    const selected = lines.slice(FROM_LINE - 1, TO_LINE).join('\n');

    await vs.openFile(FILE);
    await vs.selectLines(FROM_LINE, TO_LINE);
    expect(await vs.waitForSelectionStatus()).toBe(selected.length);

    const t0 = Date.now();
    await vs.runCommand(COMMAND_TITLE);
    const panel = vs.webviewFrame();
    const tokens = panel.locator('.text-view [data-token-index]');
    // Wait for the first token, but stop at once if the extension logs an error (e.g. no model).
    const deadline = Date.now() + 60_000;
    for (;;) {
      if ((await tokens.count()) > 0) break;
      const errors = CodeServer.errorLines(vs.readExtensionLog());
      const dialog = await vs.dialogText();
      if (errors.length || dialog || Date.now() > deadline) {
        throw new Error(
          `the panel showed no tokens (${errors.length ? 'the extension logged an error' : dialog ? 'an error dialog' : 'timeout 60 s'})\n` +
            `notifications: ${JSON.stringify(await vs.notificationTexts())}\ndialog: ${dialog}\n` +
            `extension log:\n${vs.readExtensionLog().slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stderr.write(`[e2e] command → first token painted: ${Date.now() - t0} ms\n`);

    // ── tokens: the selection, as the tokenizer cut it ──
    const ref = analyzeWithCli(selected);
    const n = ref.tokens.length;
    expect(n).toBeGreaterThan(10);
    await expect.poll(() => tokens.count()).toBe(n);
    const indices = await tokens.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.tokenIndex)));
    expect(indices).toEqual([...Array(n).keys()]);
    const texts = await tokens.allTextContents();
    expect(texts).toEqual(ref.tokens.map((t) => selected.slice(t.start, t.end)));
    expect(texts.join('')).toBe(selected);
    // Laid out as the text reads: the view's text is the selection, line break included.
    expect(await panel.locator('.text-view').textContent()).toBe(selected);

    // ── hover: highlighted tokens carry the real weights of the head the panel opened on, the model's default head
    //    (model.json default_head; layer 0, head 0 for a model without one) ──
    const [layer, head] = await panel
      .locator('body')
      .evaluate(() => ['ctl-layer', 'ctl-head'].map((id) => Number((document.getElementById(id) as HTMLElement & { value: string }).value)));
    if (!extraModelsDir) {
      const named = JSON.parse(readFileSync(path.join(repoRoot, 'models', ref.model, 'model.json'), 'utf8')).default_head as { layer: number; head: number } | undefined;
      expect([layer, head]).toEqual([named?.layer ?? 0, named?.head ?? 0]);
    }
    const shownHead = ref.attention[layer][head];
    const checkHover = async (q: number) => {
      await tokens.nth(q).hover();
      await expect.poll(() => tokens.nth(q).getAttribute('class')).toContain('focused');
      const visible = shownHead[q].map((_, k) => !(ref.mask === 'causal' && k > q));
      await expect.poll(() => panel.locator('.text-view [data-weight]').count()).toBe(visible.filter(Boolean).length);
      const shown = await tokens.evaluateAll((els) =>
        // bg: the painted background, '' when none (the tint is a class per step, so read the computed colour).
        els.map((e) => {
          const bg = getComputedStyle(e).backgroundColor;
          return { weight: (e as HTMLElement).dataset.weight ?? null, bg: bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent' ? '' : bg };
        }),
      );
      let highlighted = 0;
      shown.forEach((s, k) => {
        if (!visible[k]) {
          expect(s.weight, `token ${k} is masked for query ${q}`).toBeNull();
          return;
        }
        expect(s.weight, `token ${k} carries data-weight`).not.toBeNull();
        expect(Math.abs(Number(s.weight) - shownHead[q][k]), `weight of token ${k} for query ${q}`).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
        if (s.bg) highlighted++;
      });
      // The biggest weight is painted.
      const top = shownHead[q].indexOf(Math.max(...shownHead[q]));
      expect(shown[top].bg, `the most attended token (${top}) is highlighted`).not.toBe('');
      expect(highlighted).toBeGreaterThan(0);
      return shown.map((s) => s.weight);
    };
    const q1 = Math.floor(n / 2);
    const first = await checkHover(q1);
    const second = await checkHover(n - 1);
    expect(second).not.toEqual(first);
    await vs.screenshot('showSelection-hover');

    // ── nothing went wrong along the way ──
    vs.expectNoExtensionErrors();
    expect(await vs.dialogText(), 'an error dialog').toBeNull();
  });

  it('updates the same panel for a new selection (keybinding Ctrl+Alt+A)', async () => {
    onTestFailed(async () => {
      await vs.screenshot('showSelection-update-failure');
      vs.saveLogs('showSelection-update-failure');
    });
    const lines = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n');
    await vs.openFile(FILE);
    await vs.selectLines(FROM_LINE, FROM_LINE);
    await vs.runCommand(COMMAND_TITLE);
    const panel = vs.webviewFrame();
    await expect.poll(() => panel.locator('.text-view').textContent(), { timeout: 60_000 }).toBe(lines[FROM_LINE - 1]);
    const panelsBefore = await vs.webviewCount();

    const other = lines.slice(5, 7).join('\n'); // lines 6–7
    await vs.selectLines(6, 7);
    await vs.page.keyboard.press('Control+Alt+A');
    await expect.poll(() => vs.webviewFrame().locator('.text-view').textContent(), { timeout: 60_000 }).toBe(other);
    expect(await vs.webviewCount(), 'still one panel').toBe(panelsBefore);
    expect(await vs.page.locator('.tabs-container .tab', { hasText: 'Attention Lens' }).count()).toBe(1);
    vs.expectNoExtensionErrors();
  });
});
