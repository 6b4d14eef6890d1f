/**
 * Translation (issue 11): at a 40-word English sentence, the time to the first translated token and per generated
 * token (greedy, in process, one forward pass of the whole graph per token: the contract graph has no key/value
 * cache), beside one forward pass at the final source × target size — the floor each step is bounded by.
 * Measured interleaved (a pass, then a translation, repeated) so both see the same machine load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModelManifest } from '../src/model/modelManifest';
import type { ModelRegistry } from '../src/model/modelRegistry';
import { translate } from '../src/translate/greedyTranslate';
import { trainedTranslationBiases } from '../src/translate/translationBiases';
import { runTranslation } from '../src/translate/translationRunner';
import { startCodeServer } from '../test/e2e/codeServer';
import { selectFile, webviewDocument } from './codeServerBench';
import { log, round, summarize, type Summary } from './common';

/** 40 words of the kind of text the model was trained on (software documentation), written for the bench. */
export const SENTENCE_40_WORDS =
  'When you open a file that was changed on the disk by another program, the editor asks whether to reload it, ' +
  'keep your changes, or compare both versions side by side before you save the document again in its folder.';

export interface TranslationSection {
  model: string;
  words: number;
  sourceTokens: number;
  targetTokens: number;
  stop: string;
  firstTokenMs: Summary;
  msPerGeneratedToken: Summary;
  /** One forward pass at the final sizes (source × the whole decoder input). */
  forwardPassMs: Summary;
  /** median first token / median forward pass (the first step is one pass over a one-token decoder input). */
  firstTokenToPass: number;
  /** median ms per token / median forward pass at the final size: ≤ 1 when every step costs at most one full pass. */
  perTokenToPass: number;
}

export async function benchTranslation(registry: ModelRegistry, manifest: ModelManifest, reps = 5): Promise<TranslationSection> {
  const tokenizer = await registry.translationTokenizer(manifest);
  const words = SENTENCE_40_WORDS.split(/\s+/).length;
  const once = () => translate(manifest, tokenizer, SENTENCE_40_WORDS, { to: 'zh' });
  const warm = await once(); // loads the session
  const S = warm.source.ids.length;
  const decoderIds = warm.target.ids;
  const biases = trainedTranslationBiases(S, decoderIds.length);
  const firsts: number[] = [];
  const perToken: number[] = [];
  const passes: number[] = [];
  let last = warm;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await runTranslation(manifest, warm.source.ids, decoderIds, biases);
    passes.push(performance.now() - t0);
    last = await once();
    firsts.push(last.timing.firstTokenMs ?? Number.NaN);
    const generated = Math.max(1, last.target.ids.length - 1 + (last.stop === 'eos' ? 1 : 0));
    perToken.push(last.timing.totalMs / generated);
    log(`translation rep ${r + 1}/${reps}: first token ${round(firsts[r], 1)} ms, ${round(perToken[r], 1)} ms/token, pass ${round(passes[r], 1)} ms`);
  }
  const first = summarize(firsts);
  const per = summarize(perToken);
  const pass = summarize(passes);
  return {
    model: manifest.id,
    words,
    sourceTokens: S,
    targetTokens: last.target.ids.length,
    stop: last.stop ?? 'unknown',
    firstTokenMs: first,
    msPerGeneratedToken: per,
    forwardPassMs: pass,
    firstTokenToPass: round(first.median / pass.median, 2),
    perTokenToPass: round(per.median / pass.median, 2),
  };
}

export interface TranslationPaintRun {
  /** Key press → the first step (source tokens + the decoder's start tag) painted in the panel. */
  commandToFirstPaintMs: number;
  /** The inference that first step waited for (its one forward pass, the host's own timing). */
  firstStepInferenceMs: number | null;
  /** commandToFirstPaintMs − firstStepInferenceMs: everything besides the model. */
  besidesInferenceMs: number | null;
  /** Key press → the status says done (every step painted, the last one whole). */
  commandToDoneMs: number;
  /** Inference of every pass of the translation (host's timing, summed). */
  allInferenceMs: number | null;
  targetTokens: number;
}

/**
 * In code-server, as a person meets it: the 40-word sentence selected, Ctrl+Alt+Shift+T (Translate Selection), until
 * the first step is painted and until the translation is done, `reps` times after one warm-up (a new panel's first
 * run loads the worker and the session).
 */
export async function benchTranslationInCodeServer(reps = 3): Promise<{ runs: TranslationPaintRun[]; firstPaintMs: Summary; besidesInferenceMs: Summary | null; doneMs: Summary; method: string }> {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-bench-tr-'));
  // Each run translates a text new to the extension: the sentence with a different number at its end.
  const names = Array.from({ length: reps + 1 }, (_, i) => `s${i}.txt`);
  names.forEach((name, i) => writeFileSync(path.join(ws, name), `${SENTENCE_40_WORDS.replace(/\.$/, '')} ${i + 2}.`));
  const vs = await startCodeServer({ workspace: ws, settings: { 'attentionLens.followSelection': false } });
  try {
    const runs: TranslationPaintRun[] = [];
    // Warm-up: opens the panel, starts the worker and loads the translation session.
    await selectFile(vs, names[0]);
    await vs.runCommand('Attention Lens: Translate Selection (English ↔ Chinese) and Show Its Attention');
    const warmFrame = await webviewDocument(vs);
    await warmFrame.locator('.translation-status[data-state="done"]').waitFor({ timeout: 180_000 });
    for (const name of names.slice(1)) {
      await selectFile(vs, name);
      const frame = await webviewDocument(vs);
      await frame.evaluate(() => {
        type Watch = { first?: number; done?: number; inference: number[]; lastPartial?: boolean };
        const w = window as unknown as { __tr?: Watch; __trListening?: boolean; __trObserver?: MutationObserver };
        w.__tr = { inference: [] };
        if (!w.__trListening) {
          w.__trListening = true;
          window.addEventListener('message', (e: MessageEvent) => {
            const d = e.data as { type?: string; inferenceMs?: number; translation?: { partial: boolean } } | null;
            if (d?.type === 'analysisStart' && d.translation && w.__tr) {
              w.__tr.inference.push(d.inferenceMs ?? Number.NaN);
              w.__tr.lastPartial = d.translation.partial;
            }
          });
        }
        // After the run's first analysisStart: the first step is painted when the DOM shows the target block (then
        // one frame); done when the last analysis (not partial) is in and the status says so.
        w.__trObserver?.disconnect();
        const mo = new MutationObserver(() => {
          const tr = w.__tr;
          if (!tr || tr.inference.length === 0) return;
          if (tr.first === undefined && document.querySelector('.text-block[data-side="target"] .token')) {
            tr.first = -1;
            requestAnimationFrame(() => {
              const ch = new MessageChannel();
              ch.port1.onmessage = () => (tr.first = Date.now());
              ch.port2.postMessage(0);
            });
          }
          if (tr.done === undefined && tr.lastPartial === false && document.querySelector('.translation-status[data-state="done"]')) tr.done = Date.now();
        });
        w.__trObserver = mo;
        mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      });
      const t0 = Date.now();
      await vs.page.keyboard.press('Control+Alt+Shift+T');
      const got = await frame.waitForFunction(
        () => {
          const tr = (window as unknown as { __tr?: { first?: number; done?: number; inference: number[] } }).__tr;
          return tr?.first !== undefined && tr.first > 0 && tr.done !== undefined ? { first: tr.first, done: tr.done, inference: tr.inference } : null;
        },
        undefined,
        { timeout: 180_000, polling: 20 },
      );
      const r = (await got.jsonValue()) as { first: number; done: number; inference: number[] };
      const firstInf = r.inference.length > 0 && Number.isFinite(r.inference[0]) ? r.inference[0] : null;
      const last = r.inference.length > 0 ? r.inference[r.inference.length - 1] : null;
      const targetTokens = await frame.locator('.text-block[data-side="target"] .token').count();
      const run: TranslationPaintRun = {
        commandToFirstPaintMs: r.first - t0,
        firstStepInferenceMs: firstInf === null ? null : round(firstInf, 1),
        besidesInferenceMs: firstInf === null ? null : round(r.first - t0 - firstInf, 1),
        commandToDoneMs: r.done - t0,
        allInferenceMs: last === null || !Number.isFinite(last) ? null : round(last, 1),
        targetTokens,
      };
      log(`code-server translation: first step painted ${run.commandToFirstPaintMs} ms (its inference ${run.firstStepInferenceMs} ms), done ${run.commandToDoneMs} ms, ${targetTokens} target tokens`);
      runs.push(run);
    }
    const besides = runs.map((r) => r.besidesInferenceMs).filter((x): x is number => x !== null);
    return {
      runs,
      firstPaintMs: summarize(runs.map((r) => r.commandToFirstPaintMs), 0),
      besidesInferenceMs: besides.length ? summarize(besides, 1) : null,
      doneMs: summarize(runs.map((r) => r.commandToDoneMs), 0),
      method:
        'code-server + Chromium: key press (Ctrl+Alt+Shift+T) → the first decoding step (source + start tag) painted in the panel (a frame after the DOM shows it), and → the status line says done; inference from each analysisStart (the host’s own session.run timing, summed over the passes so far)',
    };
  } finally {
    await vs.stop();
    rmSync(ws, { recursive: true, force: true });
  }
}
