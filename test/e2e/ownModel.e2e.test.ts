/**
 * End-to-end, through the UI of a real VS Code (code-server): a person opens an ordinary Hugging Face ONNX export with
 * "Attention Lens: Open Model Folder…" and explores it (issue 12):
 *  - the GPT-2-style fixture (three ONNX variants: the variant picker appears; model.onnx is picked) opens on the
 *    selection in a new panel: the panel's tokens are the CLI's for the same folder, and hovering a token shows the
 *    real weights of the head on screen;
 *  - the BERT-style fixture (one variant) replaces it in the same panel: [CLS] and [SEP] are shown, marked as added
 *    by the tokenizer, and the model picker lists both opened models beside the bundled ones;
 *  - the folders are copies in a temporary folder, and nothing in them changes (the rewritten graphs go to the
 *    extension's storage);
 *  - no extension errors along the way.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CodeServer, repoRoot, sampleWorkspace, startCodeServer } from './codeServer';

const OPEN_TITLE = 'Attention Lens: Open Model Folder…';
const FILE = 'prose.md';
const LINE = 3;
/** uint8 quantisation (≤ 1/510) + rounding to 3 decimals (≤ 0.0005), with a little room. */
const WEIGHT_TOLERANCE = 0.003;

interface CliResult {
  model: string;
  kind: string;
  mask: string;
  tokens: { text: string; start: number; end: number; special?: boolean }[];
  attention: number[][][][];
}

function analyzeWithCli(text: string, folder: string, cacheDir: string): CliResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-e2e-cli-'));
  try {
    const file = path.join(dir, 'selection.txt');
    writeFileSync(file, text);
    const outFile = path.join(dir, 'out.json');
    const fd = openSync(outFile, 'w');
    try {
      execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'analyze', file, '--model', folder, '--cache-dir', cacheDir, '--json'], {
        stdio: ['ignore', fd, 'pipe'],
      });
    } finally {
      closeSync(fd);
    }
    return JSON.parse(readFileSync(outFile, 'utf8')) as CliResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every file below `dir` with its size and mtime: what "nothing was written" is checked against. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.push(`${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** Drives VS Code's own folder picker (the simple file dialog in a browser): type the path, press its OK button. */
async function pickFolder(vs: CodeServer, folder: string): Promise<void> {
  const page = vs.page;
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  // The dialog fills in its starting folder once it has read it, and may do so after we typed: type again until
  // the typed path stays and the dialog lists that folder (its onnx/ subfolder: a folder picker lists only folders).
  await expect
    .poll(
      async () => {
        if ((await input.inputValue()) !== `${folder}/`) {
          await input.press('Control+a');
          await page.keyboard.insertText(`${folder}/`);
        }
        const listed = (await page.locator('.quick-input-list .monaco-list-row', { hasText: 'onnx' }).count()) > 0;
        return listed && (await input.inputValue()) === `${folder}/`;
      },
      { timeout: 20_000, interval: 500 },
    )
    .toBe(true);
  await page.locator('.quick-input-widget .quick-input-action .monaco-button', { hasText: 'Open Model Folder' }).click();
  // Accepted: the dialog closes, or its input is reused at once by the next question (the variant picker).
  await expect.poll(async () => ((await input.isVisible()) ? input.inputValue() : '(closed)'), { timeout: 15_000 }).not.toBe(`${folder}/`);
}

describe('Open Model Folder… with Hugging Face exports (code-server)', () => {
  let vs: CodeServer;
  let copies: string;
  let cliCache: string;

  beforeAll(async () => {
    copies = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-e2e-hf-'));
    cliCache = path.join(copies, '.cli-cache');
    for (const name of ['tiny-gpt2', 'tiny-bert']) cpSync(path.join(repoRoot, 'test', 'fixtures', 'hf', name), path.join(copies, name), { recursive: true });
    vs = await startCodeServer();
  });

  afterAll(async () => {
    await vs?.stop();
    rmSync(copies, { recursive: true, force: true });
  });

  it('opens a GPT-2-style export (variant picked), then a BERT-style one, and shows their real attention', async () => {
    onTestFailed(async () => {
      await vs.screenshot('ownModel-failure');
      process.stderr.write(`[e2e] failure artefacts: ${vs.saveLogs('ownModel-failure')}\n`);
    });
    const gpt2 = path.join(copies, 'tiny-gpt2');
    const bert = path.join(copies, 'tiny-bert');
    const before = { gpt2: listing(gpt2), bert: listing(bert) };
    const selected = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n')[LINE - 1];

    await vs.openFile(FILE);
    await vs.selectLines(LINE);

    // ── GPT-2-style: three ONNX files, so the variant picker asks; model.onnx comes first ──
    await vs.runCommand(OPEN_TITLE);
    await pickFolder(vs, gpt2);
    const variantRows = vs.page.locator('.quick-input-list .monaco-list-row');
    await expect.poll(() => variantRows.count(), { timeout: 15_000 }).toBe(3);
    expect(await variantRows.first().locator('.label-name').textContent()).toBe('model.onnx');
    await vs.page.keyboard.press('Enter');

    const panel = vs.webviewFrame();
    const tokens = panel.locator('.text-view [data-token-index]');
    const ref = analyzeWithCli(selected, gpt2, cliCache);
    expect(ref.kind).toBe('causal');
    await expect.poll(() => tokens.count(), { timeout: 60_000 }).toBe(ref.tokens.length);
    expect(await tokens.allTextContents()).toEqual(ref.tokens.map((t) => t.text));

    const [layer, head] = await panel
      .locator('body')
      .evaluate(() => ['ctl-layer', 'ctl-head'].map((id) => Number((document.getElementById(id) as HTMLElement & { value: string }).value)));
    const q = ref.tokens.length - 1;
    await tokens.nth(q).hover();
    await expect.poll(() => panel.locator('.text-view [data-weight]').count()).toBe(q + 1); // causal: keys 0…q
    const shown = await tokens.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.weight ?? null));
    for (let k = 0; k <= q; k++) {
      expect(Math.abs(Number(shown[k]) - ref.attention[layer][head][q][k]), `weight of token ${k}`).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
    }

    // A decoder export builds its causal mask inside the graph: the what-if mask is offered disabled, with the reason.
    await expect.poll(() => panel.locator('#ctl-mask vscode-option[value="whatIf"]').getAttribute('disabled')).not.toBeNull();
    await panel.locator('.capability-note').first().waitFor({ state: 'visible', timeout: 10_000 });

    // ── BERT-style: one ONNX file, no picker; the same panel shows the selection with [CLS] … [SEP] ──
    await vs.runCommand(OPEN_TITLE);
    await pickFolder(vs, bert);
    const refBert = analyzeWithCli(selected, bert, cliCache);
    expect(refBert.kind).toBe('encoder');
    expect(refBert.tokens[0]).toMatchObject({ special: true, start: 0, end: 0 });
    await expect.poll(() => tokens.count(), { timeout: 60_000 }).toBe(refBert.tokens.length);
    expect(await tokens.allTextContents()).toEqual(refBert.tokens.map((t) => t.text));
    const specials = await tokens.evaluateAll((els) => els.map((e) => e.classList.contains('token-special')));
    expect(specials).toEqual(refBert.tokens.map((t) => t.special === true));
    // Every token sees every token in an encoder: hovering [SEP] marks them all.
    await tokens.nth(refBert.tokens.length - 1).hover();
    await expect.poll(() => panel.locator('.text-view [data-weight]').count()).toBe(refBert.tokens.length);

    // A plain export gives no q, k, v: the computation view says so instead of showing numbers it does not have.
    await panel.locator('#ctl-view-computation').click();
    await panel.locator('.computation .capability-note').waitFor({ state: 'visible', timeout: 10_000 });

    // The picker lists both opened models beside the bundled ones.
    const options = await panel.locator('#ctl-model').evaluate((el) => Array.from(el.querySelectorAll('vscode-option, option')).map((o) => o.textContent ?? ''));
    expect(options.join('\n')).toMatch(/tiny-gpt2|gpt2/i);
    expect(options.join('\n')).toMatch(/tiny-bert|bert/i);

    // ── nothing was written into the model folders ──
    expect(listing(gpt2)).toEqual(before.gpt2);
    expect(listing(bert)).toEqual(before.bert);
    vs.expectNoExtensionErrors();
    expect(await vs.dialogText(), 'an error dialog').toBeNull();
  });
});
