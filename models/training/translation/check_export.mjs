// Check an exported translation draft with onnxruntime-node (the runtime the extension uses):
//   node models/training/translation/check_export.mjs [EXPORT_DIR]
// 1. every output vs the PyTorch reference (reference.json, written by export.py): max |difference| <= 1e-4;
// 2. softmax(q·kᵀ/√head_dim + bias) recomputed from the graph's own queries/keys reproduces each of its three
//    attentions (encoder self, decoder self, cross) within 1e-4;
// 3. greedy decoding with onnxruntime gives the same tokens as PyTorch's.
// Writes fidelity.json beside the model and exits 1 when any check fails.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'package.json'));
const ort = require('onnxruntime-node');
const dir = path.resolve(process.argv[2] ?? path.join(here, '../work/translation/export'));
const TOL = 1e-4;

const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8'));
const meta = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { intraOpNumThreads: 2 });

function feeds(src, dec, biases) {
  const S = src.length;
  const T = dec.length;
  const causal = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = -1e9;
  return {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(src.map(BigInt)), [1, S]),
    decoder_input_ids: new ort.Tensor('int64', BigInt64Array.from(dec.map(BigInt)), [1, T]),
    encoder_attention_bias: new ort.Tensor('float32', biases?.enc ?? new Float32Array(S * S), [S, S]),
    decoder_attention_bias: new ort.Tensor('float32', biases?.dec ?? causal, [T, T]),
    cross_attention_bias: new ort.Tensor('float32', biases?.cross ?? new Float32Array(T * S), [T, S]),
  };
}

const inp = ref.inputs;
const flat = (m) => Float32Array.from(m.flat());
const out = await session.run(
  feeds(inp.input_ids[0], inp.decoder_input_ids[0], {
    enc: flat(inp.encoder_attention_bias),
    dec: flat(inp.decoder_attention_bias),
    cross: flat(inp.cross_attention_bias),
  }),
);
const report = { outputs: {}, attention_from_qk: {}, greedy: {} };
let ok = true;
for (const [name, r] of Object.entries(ref.outputs)) {
  const got = out[name];
  if (!got || JSON.stringify(Array.from(got.dims)) !== JSON.stringify(r.dims)) {
    ok = false;
    report.outputs[name] = { error: `dims ${got ? JSON.stringify(got.dims) : 'missing'} != ${JSON.stringify(r.dims)}` };
    continue;
  }
  let worst = 0;
  for (let i = 0; i < r.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - r.data[i]));
  report.outputs[name] = worst;
  if (!(worst <= TOL)) ok = false;
}

// softmax(q·kᵀ/√d + bias) from the graph's own q and k
function recompute(att, q, k, bias) {
  const [L, H, n, m] = att.dims;
  const d = q.dims[3];
  const scale = 1 / Math.sqrt(d);
  let worst = 0;
  for (let l = 0; l < L; l++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < n; i++) {
        const s = new Float64Array(m);
        let mx = -Infinity;
        for (let j = 0; j < m; j++) {
          let dot = 0;
          for (let t = 0; t < d; t++) dot += q.data[((l * H + h) * n + i) * d + t] * k.data[((l * H + h) * m + j) * d + t];
          s[j] = dot * scale + bias[i * m + j];
          mx = Math.max(mx, s[j]);
        }
        let sum = 0;
        for (let j = 0; j < m; j++) sum += (s[j] = Math.exp(s[j] - mx));
        for (let j = 0; j < m; j++)
          worst = Math.max(worst, Math.abs(s[j] / sum - att.data[((l * H + h) * n + i) * m + j]));
      }
  return worst;
}
for (const [kind, bias] of [
  ['encoder', flat(inp.encoder_attention_bias)],
  ['decoder', flat(inp.decoder_attention_bias)],
  ['cross', flat(inp.cross_attention_bias)],
]) {
  const w = recompute(out[`${kind}_attentions`], out[`${kind}_queries`], out[`${kind}_keys`], bias);
  report.attention_from_qk[kind] = w;
  if (!(w <= TOL)) ok = false;
}

// greedy decoding, one token per run (the host's loop), same stop rules as PyTorch's decode.greedy
const g = ref.greedy;
const dec = [g.start];
const limit = Math.min(g.max_positions, 3 * g.source.length + 10);
const tokens = [];
while (dec.length < limit) {
  const o = await session.run(feeds(g.source, dec));
  const V = o.logits.dims[2];
  const row = o.logits.data.subarray((dec.length - 1) * V, dec.length * V);
  let best = 0;
  for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
  if (best === g.eos) break;
  tokens.push(best);
  dec.push(best);
}
report.greedy = { same: JSON.stringify(tokens) === JSON.stringify(g.tokens), onnxruntime: tokens, pytorch: g.tokens };
if (!report.greedy.same) ok = false;
report.ok = ok;
report.model = { layers: meta.layers, heads: meta.heads, vocab_size: meta.vocab_size };
writeFileSync(path.join(dir, 'fidelity.json'), JSON.stringify(report, null, 1) + '\n');
console.log(JSON.stringify({ ok, outputs: report.outputs, attention_from_qk: report.attention_from_qk, greedy_same: report.greedy.same }));
process.exit(ok ? 0 : 1);
