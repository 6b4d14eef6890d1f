/**
 * The standalone page's "Export JSON", clicked in the page: the file it saves is the CLI's --json for the same text
 * and options — `whatIf` and `window` included — because both are written by src/common/attentionJson.ts.
 */
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TEXT, analyzeWithCli, ensureBuilt, launchBrowser, openPage } from './harness';

let browser: Browser;

beforeAll(async () => {
  ensureBuilt();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe("the page's JSON export", () => {
  it('is the CLI --json of the same what-if analysis', async () => {
    const made = analyzeWithCli('json-whatif', SAMPLE_TEXT, ['--model', 'causal', '--mask', 'full']);
    const cli = made.json as unknown as Record<string, unknown>;
    expect([cli['mask'], cli['whatIf']]).toEqual(['full', true]);
    const { page, errors } = await openPage(browser, made.html);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#ctl-export-json')]);
    const exported = JSON.parse(await readFile((await download.path()) as string, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(exported)).toEqual(Object.keys(cli));
    expect(exported).toEqual(cli);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
