// Loads every fixture graph under test/fixtures/hf with onnxruntime-node (the repository's), runs it
// the way transformers.js starts (past length 0, all-ones attention_mask, position_ids 0..n-1,
// use_cache_branch false), and compares with reference.json:
//   - each graph: the last position's logits (fp32 1e-4; fp16 and int8 variants looser, printed);
//   - the Softmax-exposed copies that build_fixtures.py left in models/training/work/hf_fixtures/exposed:
//     every layer's and head's attention against PyTorch's.
// The bad/ folders are loaded too: each graph must still be valid ONNX that onnxruntime can open
// (except external-escape, whose weight lies outside its folder: it is only checked to exist).
// Usage: node models/training/hf_fixtures/check_fixtures.mjs
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '../../..');
const require = createRequire(path.join(repo, 'package.json'));
const ort = require('onnxruntime-node');
const root = path.join(repo, 'test/fixtures/hf');
const exposedRoot = path.join(repo, 'models/training/work/hf_fixtures/exposed');
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
let failures = 0;

function fail(msg) {
  failures++;
  console.log(`FAIL ${msg}`);
}

function i64(values, dims) {
  return new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(v))), dims);
}

/** Feeds named as the session asks, from config.json's sizes; symbolic dims: batch 1, past 0. */
function feeds(session, ids, extra = {}) {
  const n = ids.length;
  const out = {};
  for (const meta of session.inputMetadata) {
    const name = meta.name;
    if (name in extra) out[name] = extra[name];
    else if (name === 'input_ids') out[name] = i64(ids, [1, n]);
    else if (name === 'attention_mask') out[name] = i64(ids.map(() => 1), [1, n]);
    else if (name === 'token_type_ids') out[name] = i64(ids.map(() => 0), [1, n]);
    else if (name === 'position_ids') out[name] = i64(ids.map((_, i) => i), [1, n]);
    else if (name === 'use_cache_branch') out[name] = new ort.Tensor('bool', [false], [1]);
    else if (name.startsWith('past_key_values.')) {
      const dims = meta.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : 0));
      out[name] = new ort.Tensor('float32', new Float32Array(0), dims);
    } else throw new Error(`${name}: no rule to make this input`);
  }
  return out;
}

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function lastRow(t) {
  const d = t.dims[t.dims.length - 1];
  return Array.from(t.data.slice(t.data.length - d));
}

/** attentions[layer][head][q][k] from Softmax outputs (in graph order) of shape [1, heads, q, k]. */
function attentionsOf(session, result, pick = () => true) {
  return session.outputNames.filter((n) => /Softmax/.test(n) && pick(n)).map((n) => {
    const t = result[n];
    const [, h, q, k] = t.dims;
    return Array.from({ length: h }, (_, hi) => Array.from({ length: q }, (_, qi) =>
      Array.from(t.data.slice((hi * q + qi) * k, (hi * q + qi + 1) * k))));
  });
}

function compareAttentions(label, got, want) {
  if (got.length !== want.length) return fail(`${label}: ${got.length} attention layers, reference has ${want.length}`);
  const diff = maxAbsDiff(got.flat(3), want.flat(3));
  if (!(diff <= 1e-5)) fail(`${label}: attention differs from PyTorch by ${diff}`);
  else console.log(`ok   ${label}: ${got.length} layers x ${got[0].length} heads, max |diff| ${diff.toExponential(1)}`);
}

async function open(file) {
  return ort.InferenceSession.create(file);
}

async function checkDecoderOnly(folder, file, tol, exposedFile, extra = {}, note = '') {
  const ref = readJson(path.join(folder, 'reference.json'));
  const s = await open(file);
  const r = await s.run(feeds(s, ref.input_ids, extra));
  const diff = maxAbsDiff(lastRow(r.logits), ref.logits_last);
  const label = path.relative(root, file) + note;
  if (!(diff <= tol)) fail(`${label}: last logits differ from PyTorch by ${diff} (tolerance ${tol})`);
  else console.log(`ok   ${label}: runs; last logits max |diff| ${diff.toExponential(1)} (tolerance ${tol})`);
  if (exposedFile) {
    const e = await open(exposedFile);
    compareAttentions(`${label} (Softmax exposed)`, attentionsOf(e, await e.run(feeds(e, ref.input_ids))), ref.attentions);
  }
}

async function checkMarian(folder, exposed) {
  const ref = readJson(path.join(folder, 'reference.json'));
  const dir = exposed ?? path.join(folder, 'onnx');
  const enc = await open(path.join(dir, 'encoder_model.onnx'));
  const er = await enc.run(feeds(enc, ref.input_ids));
  const hidden = er.last_hidden_state;
  const dec = await open(path.join(dir, 'decoder_model.onnx'));
  const n = ref.input_ids.length;
  const dr = await dec.run(feeds(dec, ref.decoder_input_ids, {
    encoder_hidden_states: hidden, encoder_attention_mask: i64(ref.input_ids.map(() => 1), [1, n]) }));
  const label = exposed ? 'tiny-marian (Softmax exposed)' : path.relative(root, dir);
  const d1 = maxAbsDiff(lastRow(hidden), ref.encoder_last_hidden_state_last);
  const d2 = maxAbsDiff(lastRow(dr.logits), ref.logits_last);
  if (!(d1 <= 1e-4 && d2 <= 1e-4)) fail(`${label}: encoder/decoder outputs differ from PyTorch by ${d1} / ${d2}`);
  else console.log(`ok   ${label}: encoder + decoder run; max |diff| ${d1.toExponential(1)} / ${d2.toExponential(1)}`);
  if (exposed) {
    compareAttentions(`${label} encoder`, attentionsOf(enc, er), ref.encoder_attentions);
    compareAttentions(`${label} decoder self`, attentionsOf(dec, dr, (x) => x.includes('/self_attn/')), ref.decoder_attentions);
    compareAttentions(`${label} decoder cross`, attentionsOf(dec, dr, (x) => x.includes('/encoder_attn/')), ref.cross_attentions);
  }
}

const exp = (name, f) => (existsSync(path.join(exposedRoot, name, f)) ? path.join(exposedRoot, name, f) : null);
const g = (name, f) => path.join(root, name, 'onnx', f);
await checkDecoderOnly(path.join(root, 'tiny-gpt2'), g('tiny-gpt2', 'model.onnx'), 1e-4, exp('tiny-gpt2', 'model.onnx'));
await checkDecoderOnly(path.join(root, 'tiny-gpt2'), g('tiny-gpt2', 'model_fp16.onnx'), 5e-3);
await checkDecoderOnly(path.join(root, 'tiny-gpt2'), g('tiny-gpt2', 'model_quantized.onnx'), 0.05);
await checkDecoderOnly(path.join(root, 'tiny-gpt2-external'), g('tiny-gpt2-external', 'model.onnx'), 1e-4);
for (const branch of [false, true]) {
  await checkDecoderOnly(path.join(root, 'tiny-gpt2-merged'), g('tiny-gpt2-merged', 'decoder_model_merged.onnx'), 1e-4, null,
    { use_cache_branch: new ort.Tensor('bool', [branch], [1]) }, ` (use_cache_branch ${branch})`);
}
await checkDecoderOnly(path.join(root, 'tiny-bert'), g('tiny-bert', 'model.onnx'), 1e-4, exp('tiny-bert', 'model.onnx'));
await checkDecoderOnly(path.join(root, 'tiny-llama'), g('tiny-llama', 'model.onnx'), 1e-4, exp('tiny-llama', 'model.onnx'));
await checkMarian(path.join(root, 'tiny-marian'));
if (existsSync(path.join(exposedRoot, 'tiny-marian'))) await checkMarian(path.join(root, 'tiny-marian'), path.join(exposedRoot, 'tiny-marian'));
else console.log('(no exposed copies: run build_fixtures.py to compare attentions too)');

for (const bad of ['fused-attention', 'no-attention', 'vocab-mismatch', 'missing-config', 'missing-tokenizer',
  'catastrophic-regex', 'unsupported-component']) {
  try {
    const s = await open(g(path.join('bad', bad), 'model.onnx'));
    await s.run(feeds(s, [1, 2, 3]));
    console.log(`ok   bad/${bad}: graph opens and runs`);
  } catch (e) {
    fail(`bad/${bad}: ${e.message}`);
  }
}
if (!existsSync(path.join(root, 'bad/outside.bin'))) fail('bad/outside.bin is missing');
console.log(failures ? `${failures} failures` : 'all fixtures ok');
process.exit(failures ? 1 : 0);
