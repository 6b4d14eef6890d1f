/** `attention-lens translate` as a person runs it: the built dist/cli.js on real files with the real translation model. */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TranslationJson } from '../../src/translate/translationJson';
import { MODELS_DIR, REPO_ROOT } from '../helpers/bundled';
import { ensureBuilt } from '../helpers/build';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'al-translate-'));
});

async function translateJson(text: string, ...extra: string[]): Promise<TranslationJson> {
  const file = path.join(dir, `in-${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(file, text);
  const { stdout } = await run(process.execPath, [CLI, 'translate', file, '--json', ...extra], { maxBuffer: 1 << 26 });
  return JSON.parse(stdout) as TranslationJson;
}

/** Every [layer][head] matrix is rows × cols and each row sums to 1. */
function expectShape(att: number[][][][], rows: number, cols: number): void {
  for (const layer of att) {
    for (const head of layer) {
      expect(head).toHaveLength(rows);
      for (const row of head) {
        expect(row).toHaveLength(cols);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      }
    }
  }
}

describe('attention-lens translate', () => {
  it('--json: the model, the direction, tokens with exact offsets and the three attentions', async () => {
    const text = 'Open the file "read me.txt" now.\n';
    const out = await translateJson(text);
    expect(Object.keys(out)).toEqual(['model', 'direction', 'source', 'target', 'attention', 'forced', 'stop']);
    expect([out.model, out.direction, out.forced]).toEqual(['translation', 'en-zh', false]);
    const sentence = text.trimEnd();
    const source = out.source.tokens;
    expect(source.at(-1)).toEqual({ text: '</s>', start: sentence.length, end: sentence.length, special: true });
    for (const t of source.slice(0, -1)) expect(text.slice(t.start, t.end)).toBe(t.text);
    expect(source.slice(0, -1).map((t) => t.text).join('')).toBe(sentence);
    const target = out.target.tokens;
    expect(target[0]).toEqual({ text: '<2zh>', start: 0, end: 0, special: true });
    for (const t of target) {
      if (t.special) expect(t.start).toBe(t.end);
      else expect(out.target.text.slice(t.start, t.end)).toBe(t.text);
    }
    const S = source.length;
    const T = target.length;
    expect(out.attention.encoder).toHaveLength(3);
    expectShape(out.attention.encoder, S, S);
    expectShape(out.attention.decoder, T, T);
    expectShape(out.attention.cross, T, S);
    for (const layer of out.attention.decoder) for (const head of layer) head.forEach((row, i) => row.forEach((w, j) => j > i && expect(w).toBe(0)));
    expect(['eos', 'length']).toContain(out.stop);
  });

  it('--target aligns a given translation (Chinese → English): its text and offsets, stop "forced"', async () => {
    const ref = path.join(dir, 'ref.txt');
    await writeFile(ref, 'Save the file as a new copy?\n');
    const out = await translateJson('将文件另存为新的副本？', '--target', ref);
    expect([out.direction, out.forced, out.stop]).toEqual(['zh-en', true, 'forced']);
    expect(out.target.text).toBe('Save the file as a new copy?');
    expect(out.target.tokens[0]).toEqual({ text: '<2en>', start: 0, end: 0, special: true });
    expect(out.target.tokens.slice(1).map((t) => t.text).join('')).toBe(out.target.text);
    // A Han character split into byte tokens: every piece carries the whole character.
    for (const t of out.source.tokens.slice(0, -1)) expect(t.end - t.start).toBeGreaterThanOrEqual(1);
    expectShape(out.attention.cross, out.target.tokens.length, out.source.tokens.length);
  });

  it('--to overrides the direction; --html writes the page of the joint analysis', async () => {
    const file = path.join(dir, 'page.txt');
    await writeFile(file, 'Print');
    const html = path.join(dir, 'page.html');
    const { stdout, stderr } = await run(process.execPath, [CLI, 'translate', file, '--to', 'en', '--json', '--html', html], { maxBuffer: 1 << 26 });
    expect((JSON.parse(stdout) as TranslationJson).direction).toBe('zh-en');
    expect(stderr).toMatch(/Wrote .*page.html/);
    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/"translation":\{"to":"en","sourceCount":2,/);
    expect(page).toMatch(/"kind":"encoder-decoder"/);
  });

  it('errors say what is wrong and exit non-zero', async () => {
    const empty = path.join(dir, 'empty.txt');
    await writeFile(empty, '\n');
    await expect(run(process.execPath, [CLI, 'translate', empty, '--json'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/empty.txt is empty: there is nothing to translate/) });
    const long = path.join(dir, 'long.txt');
    await writeFile(long, 'word '.repeat(200));
    await expect(run(process.execPath, [CLI, 'translate', long, '--json'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/The selection is 200 tokens long; .*reads at most 127 tokens \(128 with its end token\)/) });
    await expect(run(process.execPath, [CLI, 'translate', empty, '--to', 'fr'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--to must be "zh" or "en"/) });
    await expect(run(process.execPath, [CLI, 'analyze', empty, '--target', empty, '--json'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--to and --target go with translate/) });
    const ok = path.join(dir, 'ok.txt');
    await writeFile(ok, 'Hello');
    await expect(run(process.execPath, [CLI, 'analyze', ok, '--model', 'translation', '--json'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/is a translation model: use Translate Selection/) });
    await expect(run(process.execPath, [CLI, 'translate', ok, '--model', 'encoder', '--json'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/"encoder" is not a translation model/) });
  });

  it('a translation model folder with its graph or a field missing is named', async () => {
    const noGraph = path.join(dir, 'no-graph', 'translation');
    await mkdir(noGraph, { recursive: true });
    for (const f of ['model.json', 'tokenizer.json']) await copyFile(path.join(MODELS_DIR, 'translation', f), path.join(noGraph, f));
    const ok = path.join(dir, 'ok2.txt');
    await writeFile(ok, 'Hello');
    await expect(run(process.execPath, [CLI, 'translate', ok, '--models-dir', path.dirname(noGraph), '--json'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no-graph\/translation\/model.onnx: the model file is missing \(named by "files.model"/),
    });
    const noField = path.join(dir, 'no-field', 'translation');
    await mkdir(noField, { recursive: true });
    const json = JSON.parse(await readFile(path.join(MODELS_DIR, 'translation', 'model.json'), 'utf8'));
    delete json.special_token_ids;
    await writeFile(path.join(noField, 'model.json'), JSON.stringify(json));
    await expect(run(process.execPath, [CLI, 'translate', ok, '--models-dir', path.dirname(noField), '--json'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no-field\/translation\/model.json: field "special_token_ids" must be an object/),
    });
  });
});
