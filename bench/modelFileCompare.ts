/**
 * Two ONNX files of the same model side by side, through the runner's own code (`sessionSource` + `openSession`
 * with SESSION_OPTIONS, `runModel`): how far apart their outputs are, and how long session creation and
 * inference take, A and B alternating in one process. Made for the fp16-weight files
 * (models/training/fp16_weights.py): A = the fp32 file, B = the fp16 one.
 *
 *   node scripts/build.mjs
 *   git show HEAD~1:models/encoder/model.onnx > /tmp/enc32.onnx
 *   node dist/modelFileCompare.js models/encoder /tmp/enc32.onnx models/encoder/model.onnx > compare.json
 *
 * Env: COMPARE_RUNS (inference runs per size and file, default 12), COMPARE_CREATES (session creations per
 * file, default 7). One JSON object on stdout, progress on stderr.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildAttentionBias } from '../src/attention/mask';
import { resolveMask } from '../src/common/mask';
import { loadManifest, type ModelManifest } from '../src/model/modelManifest';
import { openSession, releaseSessions, runModel, SESSION_OPTIONS, sessionSource, type ModelOutputs } from '../src/model/modelRunner';
import { ByteLevelBpeTokenizer } from '../src/tokenizer/byteLevelBpe';
import { corpusText, log, median, round, summarize } from './common';
import { UNSEEN_TEXTS } from '../test/helpers/unseenTexts';


function diff(a: Float32Array, b: Float32Array): { maxAbs: number; identical: boolean } {
  let m = 0;
  let identical = a.length === b.length;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > m) m = d;
    if (!Object.is(a[i], b[i])) identical = false;
  }
  return { maxAbs: m, identical };
}

async function main(): Promise<void> {
  const [folder, fileA, fileB] = process.argv.slice(2);
  if (!folder || !fileA || !fileB) throw new Error('usage: node dist/modelFileCompare.js MODEL_FOLDER A.onnx B.onnx');
  const runs = Number(process.env.COMPARE_RUNS ?? 12);
  const creates = Number(process.env.COMPARE_CREATES ?? 7);
  const base = await loadManifest(path.resolve(folder));
  const A: ModelManifest = { ...base, modelPath: path.resolve(fileA) };
  const B: ModelManifest = { ...base, modelPath: path.resolve(fileB) };
  const tokenizer = ByteLevelBpeTokenizer.fromJson(readFileSync(base.tokenizerPath, 'utf8'));

  // ── outputs: every output (logits too), under the model's trained mask and the other one ──
  const corpusTokens = tokenizer.encode(corpusText().text);
  const reference = JSON.parse(readFileSync(path.join(base.folder, 'reference', 'input.json'), 'utf8')) as { input_ids: number[] };
  const inputs: Array<{ label: string; ids: number[] }> = [
    { label: 'reference/input.json', ids: reference.input_ids },
    ...UNSEEN_TEXTS.map((t, i) => ({ label: `model-gates unseen text ${i + 1}`, ids: tokenizer.encode(t).map((x) => x.id) })),
    { label: 'bench corpus, first 128 tokens', ids: corpusTokens.slice(0, 128).map((t) => t.id) },
    { label: 'bench corpus, first 512 tokens', ids: corpusTokens.slice(0, 512).map((t) => t.id) },
  ];
  const names = ['attentions', 'queries', 'keys', 'values', 'logits'] as const;
  const outputs: Array<Record<string, unknown>> = [];
  const worst: Record<string, number> = {};
  let allIdentical = true;
  for (const input of inputs) {
    for (const maskName of ['causal', 'full'] as const) {
      const bias = buildAttentionBias(input.ids.length, resolveMask(base.kind, maskName).mask);
      const a: ModelOutputs = await runModel(A, input.ids, bias, { logits: true });
      const b: ModelOutputs = await runModel(B, input.ids, bias, { logits: true });
      const row: Record<string, unknown> = { input: input.label, n: input.ids.length, mask: maskName };
      for (const name of names) {
        const d = diff(a[name]!, b[name]!);
        row[name] = d;
        worst[name] = Math.max(worst[name] ?? 0, d.maxAbs);
        allIdentical &&= d.identical;
      }
      // The panel's session (without logits) as well.
      const pa = await runModel(A, input.ids, bias);
      const pb = await runModel(B, input.ids, bias);
      const d = diff(pa.attentions, pb.attentions);
      row.panelSessionAttentions = d;
      worst.panelSessionAttentions = Math.max(worst.panelSessionAttentions ?? 0, d.maxAbs);
      allIdentical &&= d.identical;
      outputs.push(row);
    }
  }
  log(`${base.id}: outputs max |A−B| ${JSON.stringify(worst)}, bit-identical: ${allIdentical}`);
  await releaseSessions();

  // ── session creation, as the runner does it for the panel (read + prune + create), A/B alternating ──
  const createMs = { a: [] as number[], b: [] as number[] };
  const createOnce = async (file: string): Promise<number> => {
    const t0 = performance.now();
    const { source } = await sessionSource(file, false);
    const s = await openSession(source, SESSION_OPTIONS);
    const ms = performance.now() - t0;
    await s.release();
    return ms;
  };
  await createOnce(A.modelPath);
  await createOnce(B.modelPath);
  for (let i = 0; i < creates; i++) {
    if (i % 2 === 0) {
      createMs.a.push(await createOnce(A.modelPath));
      createMs.b.push(await createOnce(B.modelPath));
    } else {
      createMs.b.push(await createOnce(B.modelPath));
      createMs.a.push(await createOnce(A.modelPath));
    }
  }
  log(`${base.id}: session creation median A ${round(median(createMs.a))} ms, B ${round(median(createMs.b))} ms`);

  // ── inference at 128 and 512 tokens (runModel, the panel's session), A/B alternating ──
  const inference: Array<Record<string, unknown>> = [];
  for (const n of [128, 512]) {
    const ids = corpusTokens.slice(0, n).map((t) => t.id);
    const bias = buildAttentionBias(n, resolveMask(base.kind, 'default').mask);
    const once = async (m: ModelManifest): Promise<number> => (await runModel(m, ids, bias)).inferenceMs;
    for (let i = 0; i < 2; i++) {
      await once(A);
      await once(B);
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        a.push(await once(A));
        b.push(await once(B));
      } else {
        b.push(await once(B));
        a.push(await once(A));
      }
    }
    const row = { n, aMs: summarize(a), bMs: summarize(b), ratioBtoA: round(median(b.map((x, i) => x / a[i])), 3) };
    inference.push(row);
    log(`${base.id} n=${n}: A ${row.aMs.median} ms, B ${row.bMs.median} ms, B/A ${row.ratioBtoA}`);
  }
  await releaseSessions();

  const result = {
    model: base.id,
    a: { file: fileA, bytes: statSync(A.modelPath).size },
    b: { file: fileB, bytes: statSync(B.modelPath).size },
    sessionOptions: SESSION_OPTIONS,
    outputs: { maxAbsDiff: worst, bitIdentical: allIdentical, rows: outputs },
    sessionCreateMs: {
      method: "sessionSource(file, false) + openSession (read, prune the LM head, InferenceSession.create), A/B alternating",
      a: summarize(createMs.a),
      b: summarize(createMs.b),
    },
    inference: { method: 'runModel (the panel session, attention outputs), A/B alternating, 2 warm-up runs each', rows: inference },
    loadAverage: (await import('node:os')).loadavg().map((x) => round(x)),
  };
  process.stdout.write(JSON.stringify(result, null, 1) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
