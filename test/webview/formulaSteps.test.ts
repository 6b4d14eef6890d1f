/**
 * The computation view's whole formula (real model output, the CLI's standalone page): for a short text the page
 * carries the formula steps, and the view shows X → Q, K, V, the rotary positions with the distance plot, the
 * head's own steps, the multi-head projection and the residual, each with a passing check (≤ 1e-4 against the
 * model's own tensors); a longer text says the steps were not recorded, and the head's steps still work.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStandaloneHtml } from '../../src/export/standalonePage';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { analyzeText } from '../../src/pipeline/analyze';
import { CACHE, DIST, MODELS_DIR, analyzeWithCli, ensureBuilt, launchBrowser, openPage, pickView, setDropdown, type OpenedPage } from './harness';

// Written for this test (at most 16 tokens, so the page records the formula).
const SHORT = 'Four owls watched the quiet barn all night.';
const LONG = 'Four owls watched the quiet barn all night, and at dawn the farmer counted seven eggs in the hay beside the gate.';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function openComputation(opened: OpenedPage, layer: string, head: string, token: number): Promise<Page> {
  const { page } = opened;
  await setDropdown(page, 'ctl-layer', layer);
  await setDropdown(page, 'ctl-head', head);
  await pickView(page, 'text');
  await page.hover(`.text-view [data-token-index="${token}"]`);
  await pickView(page, 'computation');
  return page;
}

describe('computation view: the whole formula', () => {
  for (const model of ['causal', 'encoder']) {
    it(`${model}: shows X → Q, K, V, positions, multi-head and residual with passing checks`, async () => {
      const made = analyzeWithCli(`formula-${model}`, SHORT, ['--model', model]);
      const opened = await openPage(browser, made.html);
      try {
        const page = await openComputation(opened, '2', '5', 4);
        await page.waitForSelector('.computation .formula-section[data-formula-step="residual"]');
        const steps = await page.$$eval('.computation .formula-section', (ss) => ss.map((s) => (s as HTMLElement).dataset.formulaStep));
        expect(steps).toEqual(['qkv', 'rotary', 'multihead', 'residual']);
        const checks = await page.$$eval('.computation .formula-check', (cs) =>
          cs.map((c) => ({ step: (c as HTMLElement).dataset.step, ok: (c as HTMLElement).dataset.ok, maxDiff: Number((c as HTMLElement).dataset.maxDiff), text: c.textContent ?? '' })),
        );
        expect(checks.map((c) => c.step)).toEqual(['layerNorm', 'qkv', 'rotary', 'projection', 'residual']);
        for (const c of checks) {
          expect(c.ok, c.text).toBe('true');
          expect(c.maxDiff).toBeLessThanOrEqual(1e-4);
          expect(c.text).toContain('✓');
        }
        // The head's own steps are still there, and their check passes too.
        expect(await page.$eval('.computation .check', (e) => (e as HTMLElement).dataset.ok)).toBe('true');
        expect(await page.$$eval('.computation .step', (ps) => ps.length)).toBe(6);
        // Every head of the layer side by side, the current one marked.
        const heads = await page.$$eval('.formula-heads .vector', (vs) => vs.map((v) => ({ head: (v as HTMLElement).dataset.head, current: v.classList.contains('current') })));
        expect(heads).toHaveLength(8);
        expect(heads.filter((h) => h.current).map((h) => h.head)).toEqual(['5']);
        // The distance plot: 65 points (Δ = 0…64); the sinusoidal sentence is there.
        const points = await page.$eval('.rotary-plot .curve', (p) => (p.getAttribute('points') ?? '').trim().split(/\s+/).length);
        expect(points).toBe(65);
        expect(await page.textContent('.formula-section[data-formula-step="rotary"]')).toMatch(/sinusoidal/);
        expect(opened.errors).toEqual([]);
      } finally {
        await opened.page.context().close();
      }
    });
  }

  it('a model whose graph lacks the weights shows the reason, and the head steps still work', async () => {
    // The causal model with its parameters renamed (same length, so the protobuf stays valid): it runs as before,
    // but the formula steps cannot find W_Q, W_K, W_V — like a third-party model exported another way.
    ensureBuilt();
    const folder = path.join(CACHE, 'formula-renamed');
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    cpSync(path.join(MODELS_DIR, 'causal'), path.join(folder, 'causal'), { recursive: true });
    const file = path.join(folder, 'causal', 'model.onnx');
    const bytes = readFileSync(file);
    const from = Buffer.from('model.blocks.');
    const to = Buffer.from('model.Blocks.');
    for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 1)) to.copy(bytes, at);
    writeFileSync(file, bytes);
    const r = await analyzeText(new ModelRegistry([folder]), SHORT, { modelId: 'causal' });
    const html = path.join(CACHE, 'formula-renamed.html');
    writeFileSync(html, await buildStandaloneHtml([r], { distDir: DIST, sourceLabel: 'renamed.txt' }));
    const opened = await openPage(browser, html);
    try {
      const page = await openComputation(opened, '0', '0', 2);
      await page.waitForSelector('.computation .formula-unavailable');
      const note = await page.$eval('.computation .formula-unavailable', (e) => ({ reason: (e as HTMLElement).dataset.reason, text: e.textContent ?? '' }));
      expect(note.reason).toBe('noWeights');
      expect(note.text).toContain('model.blocks.0.ln1.weight');
      await page.waitForSelector('.computation .check');
      expect(await page.$eval('.computation .check', (e) => (e as HTMLElement).dataset.ok)).toBe('true');
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.page.context().close();
    }
  });

  it('a text longer than the page records says so, and the head steps still work', async () => {
    const made = analyzeWithCli('formula-long', LONG, ['--model', 'causal']);
    const opened = await openPage(browser, made.html);
    try {
      const page = await openComputation(opened, '1', '1', 3);
      await page.waitForSelector('.computation .formula-unavailable');
      expect(await page.$eval('.computation .formula-unavailable', (e) => (e as HTMLElement).dataset.reason)).toBe('notRecorded');
      await page.waitForSelector('.computation .check');
      expect(await page.$eval('.computation .check', (e) => (e as HTMLElement).dataset.ok)).toBe('true');
      expect(await page.$$eval('.computation .formula-section', (ss) => ss.length)).toBe(0);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.page.context().close();
    }
  });
});
