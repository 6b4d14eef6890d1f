/** The CLI as a person runs it: the built dist/cli.js on a real file with the real models. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/bundled';
import { ensureBuilt } from '../helpers/build';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'al-cli-'));
});

describe('attention-lens CLI', () => {
  it('prints tokens with UTF-16 offsets and the full attention tensor as JSON', async () => {
    const text = 'Hello, 世界! 😀\r\nSecond line.';
    const file = path.join(dir, 'in.txt');
    await writeFile(file, text);
    const { stdout } = await run(process.execPath, [CLI, 'analyze', file, '--json'], { maxBuffer: 1 << 28 });
    const out = JSON.parse(stdout);
    expect(out.model).toBe('encoder');
    expect(out.kind).toBe('encoder');
    expect(out.mask).toBe('full');
    for (const t of out.tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
    expect(out.attention).toHaveLength(out.layers);
    expect(out.attention[0]).toHaveLength(out.heads);
    expect(out.attention[0][0]).toHaveLength(out.tokens.length);
    const row = out.attention[out.layers - 1][0][0] as number[];
    expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
  });

  it('delivers megabytes of JSON through a pipe without cutting it off', async () => {
    const file = path.join(REPO_ROOT, 'test', 'fixtures', 'sample-workspace', 'prose.md');
    const { stdout } = await run(process.execPath, [CLI, 'analyze', file, '--json'], { maxBuffer: 1 << 30 });
    expect(stdout.length).toBeGreaterThan(1 << 20);
    const out = JSON.parse(stdout);
    expect(out.attention[out.layers - 1][out.heads - 1]).toHaveLength(out.tokens.length);
  });

  it('uses --model and --mask, and labels the what-if', async () => {
    const file = path.join(dir, 'b.txt');
    await writeFile(file, 'one two three four');
    const { stdout } = await run(process.execPath, [CLI, 'analyze', file, '--model', 'causal', '--mask', 'full', '--json']);
    const out = JSON.parse(stdout);
    expect([out.model, out.mask, out.whatIf]).toEqual(['causal', 'full', true]);
  });

  it('writes a standalone page with a strict CSP and the data embedded', async () => {
    const file = path.join(dir, 'c.txt');
    await writeFile(file, 'A page that works offline. </script><img src=x onerror=alert(1)>');
    const html = path.join(dir, 'out.html');
    const { stderr } = await run(process.execPath, [CLI, 'analyze', file, '--html', html]);
    expect(stderr).toMatch(/Wrote .*out.html/);
    const page = await readFile(html, 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(page)?.[1] ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    // The hostile text is inside the JSON data and cannot close the data element.
    expect(page.split('</script>').length).toBe(3);
  });

  it('explains bad usage and unknown models', async () => {
    await expect(run(process.execPath, [CLI, 'analyze'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/analyze needs a FILE/) });
    const file = path.join(dir, 'd.txt');
    await writeFile(file, 'x');
    await expect(run(process.execPath, [CLI, 'analyze', file, '--json', '--model', 'nope'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/No model "nope"/),
    });
    await expect(run(process.execPath, [CLI, 'analyze', path.join(dir, 'missing.txt'), '--json'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/cannot read .*missing.txt \(ENOENT\)/),
    });
  });
});
