/**
 * One JSON export: the standalone page's "Export JSON" (webview/recordedJson.ts, from the analysis the page embeds)
 * is the CLI's --json for the same input, `whatIf` and `window` included. The browser test
 * (test/webview/jsonExport.test.ts) clicks the page's button; this one runs the page's exporter on the page's data.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttentionJson } from '../../src/common/attentionJson';
import { analysisToJson, recordMessages } from '../../src/export/standalonePage';
import { analyzeText } from '../../src/pipeline/analyze';
import type { AnalysisStartMessage, HostToWebview } from '../../src/protocol/messages';
import { deserializeMessages } from '../../src/protocol/serialize';
import { recordedAnalysisJson } from '../../webview/recordedJson';
import { bundledRegistry, REPO_ROOT } from '../helpers/bundled';
import { ensureBuilt } from '../helpers/build';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'al-json-'));
});

/** The first analysis a page's embedded stream holds: its start and every message of its generation and slot. */
function firstRecorded(messages: readonly HostToWebview[]): { start: AnalysisStartMessage; stream: HostToWebview[] } {
  const start = messages.find((m): m is AnalysisStartMessage => m.type === 'analysisStart');
  if (!start) throw new Error('no analysis in the stream');
  const stream = messages.filter((m) => 'generation' in m && m.generation === start.generation && 'slot' in m && m.slot === start.slot);
  return { start, stream };
}

describe('the JSON export is one document, whoever writes it', () => {
  it("the page's JSON equals the CLI's --json for the same file (a what-if run)", async () => {
    const file = path.join(dir, 'whatif.txt');
    await writeFile(file, 'The cat sat on the mat, and then — 猫 — it left. 😀');
    const html = path.join(dir, 'whatif.html');
    const { stdout } = await run(process.execPath, [CLI, 'analyze', file, '--model', 'causal', '--mask', 'full', '--json', '--html', html], {
      maxBuffer: 1 << 28,
    });
    const cli = JSON.parse(stdout) as AttentionJson;
    expect([cli.model, cli.mask, cli.whatIf]).toEqual(['causal', 'full', true]);
    expect(cli.window).toEqual({ index: 0, count: 1, offset: 0 });

    const page = await readFile(html, 'utf8');
    const data = /<script type="application\/json" id="attention-lens-data">([\s\S]*?)<\/script>/.exec(page)?.[1];
    expect(data).toBeDefined();
    const { start, stream } = firstRecorded(deserializeMessages(data as string));
    const exported = recordedAnalysisJson(start, stream);
    // Same keys in the same order, and the same values (the page's weights are the embedded exact float32).
    expect(Object.keys(exported)).toEqual(Object.keys(cli));
    expect(exported).toEqual(cli);
  });

  it('a window of a long text: the page places its tokens in the whole text as --json does', async () => {
    const text = 'Windows are placed by their offset in the whole text.';
    const r = await analyzeText(bundledRegistry(), text, { modelId: 'encoder' });
    const window = { index: 2, count: 5, offset: 1234 };
    const { start, stream } = firstRecorded(recordMessages([r], 'long.txt', {}, window));
    expect(start.window).toEqual({ index: 2, count: 5 });
    const exported = recordedAnalysisJson(start, stream);
    expect(exported).toEqual(analysisToJson(r, window));
    expect(exported.window).toEqual(window);
    expect(exported.tokens[0].start).toBe(r.tokens[0].start + 1234);
    // Without a window the host's own export (the panel's) has none, and the offsets are the text's own.
    expect(analysisToJson(r).window).toBeUndefined();
    expect(analysisToJson(r).tokens).toEqual(r.tokens);
  });
});
