/**
 * Runs a translation model's graph (kind `encoder-decoder`, models/README.md) with onnxruntime-node on the calling
 * thread: source ids, decoder ids and the three biases in, the three attentions with their q/k/v and the logits
 * out. The inference worker runs this same function (InferenceBackend.runTranslation). Sessions are cached per
 * model file like the runner's, made from the graph with its fp16-stored weights back in float32 (sessionSource).
 */
import { stat } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import { cachedPromise } from '../common/promiseCache';
import { TRANSLATION_INPUTS, TRANSLATION_OUTPUTS, type ModelManifest } from '../model/modelManifest';
import { expectShape, loadOrt, ModelLoadError, openSession, runIntoBuffers, sessionSource, SESSION_OPTIONS } from '../model/modelRunner';
import type { AttentionTensors, TranslationBiases, TranslationOutputs, TranslationRunOptions } from './translationTypes';

const sessions = new Map<string, Promise<Ort.InferenceSession>>();

async function createSession(manifest: ModelManifest): Promise<Ort.InferenceSession> {
  const file = manifest.modelPath;
  try {
    await stat(file);
  } catch {
    throw new ModelLoadError(file, `the model file is missing (named by "files.model" in ${manifest.folder}/model.json)`);
  }
  await loadOrt();
  // With logits: greedy decoding reads them at every step, so nothing is pruned.
  const { source } = await sessionSource(file, true);
  let session: Ort.InferenceSession;
  try {
    session = await openSession(source, SESSION_OPTIONS);
  } catch (e) {
    throw new ModelLoadError(file, `is not a loadable ONNX model (${(e as Error).message.split('\n')[0]})`);
  }
  const missingIn = TRANSLATION_INPUTS.filter((n) => !session.inputNames.includes(n));
  const extraIn = session.inputNames.filter((n) => !(TRANSLATION_INPUTS as readonly string[]).includes(n));
  const missingOut = TRANSLATION_OUTPUTS.filter((n) => !session.outputNames.includes(n));
  const problems: string[] = [];
  if (missingIn.length) problems.push(`missing input(s) ${missingIn.join(', ')}`);
  if (extraIn.length) problems.push(`unexpected input(s) ${extraIn.join(', ')}`);
  if (missingOut.length) problems.push(`missing output(s) ${missingOut.join(', ')}`);
  if (problems.length) {
    await session.release().catch(() => undefined);
    throw new ModelLoadError(file, `${problems.join('; ')}: not an encoder-decoder graph of the contract (models/README.md, kind "encoder-decoder").`);
  }
  return session;
}

function translationSession(manifest: ModelManifest): Promise<Ort.InferenceSession> {
  return cachedPromise(sessions, manifest.modelPath, () => createSession(manifest));
}

export async function releaseTranslationSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => undefined)));
}

/** Refuses ids and biases that do not fit the model before onnxruntime sees them (its errors name no field). */
function checkInput(manifest: ModelManifest, sourceIds: ArrayLike<number>, decoderIds: ArrayLike<number>, biases: TranslationBiases): void {
  const S = sourceIds.length;
  const T = decoderIds.length;
  const max = manifest.maxPositions;
  if (S < 1 || S > max) throw new RangeError(`the source has ${S} tokens; model "${manifest.id}" reads 1 to ${max}`);
  if (T < 1 || T > max) throw new RangeError(`the decoder input has ${T} tokens; model "${manifest.id}" reads 1 to ${max}`);
  const sizes: [keyof TranslationBiases, number, string][] = [
    ['encoder', S * S, `${S}×${S}`],
    ['decoder', T * T, `${T}×${T}`],
    ['cross', T * S, `${T}×${S}`],
  ];
  for (const [name, size, shape] of sizes) {
    if (biases[name].length !== size) throw new RangeError(`the ${name} attention bias has ${biases[name].length} entries, expected ${shape}`);
  }
}

/**
 * One forward pass of encoder and decoder. The attention outputs are written into buffers allocated here at the
 * shapes model.json promises (as the runner does: no output copy, and fresh buffers the worker can transfer); a
 * model whose outputs differ is run again unbound so the shape check names the output.
 */
export async function runTranslation(
  manifest: ModelManifest,
  sourceIds: ArrayLike<number>,
  decoderIds: ArrayLike<number>,
  biases: TranslationBiases,
  options: TranslationRunOptions = {},
): Promise<TranslationOutputs> {
  if (manifest.kind !== 'encoder-decoder') throw new Error(`Model "${manifest.id}" is not a translation model (kind "${manifest.kind}").`);
  checkInput(manifest, sourceIds, decoderIds, biases);
  const session = await translationSession(manifest);
  const ort = await loadOrt();
  const S = sourceIds.length;
  const T = decoderIds.length;
  const { layers: L, heads: H, headDim: d } = manifest;
  const V = manifest.vocabSize as number; // required for this kind
  const ids = (a: ArrayLike<number>): Ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(Array.from(a), (x) => BigInt(x)), [1, a.length]);
  const feeds = {
    input_ids: ids(sourceIds),
    decoder_input_ids: ids(decoderIds),
    encoder_attention_bias: new ort.Tensor('float32', biases.encoder, [S, S]),
    decoder_attention_bias: new ort.Tensor('float32', biases.decoder, [T, T]),
    cross_attention_bias: new ort.Tensor('float32', biases.cross, [T, S]),
  };
  const shapes: Record<(typeof TRANSLATION_OUTPUTS)[number], number[]> = {
    encoder_attentions: [L, H, S, S],
    encoder_queries: [L, H, S, d],
    encoder_keys: [L, H, S, d],
    encoder_values: [L, H, S, d],
    decoder_attentions: [L, H, T, T],
    decoder_queries: [L, H, T, d],
    decoder_keys: [L, H, T, d],
    decoder_values: [L, H, T, d],
    cross_attentions: [L, H, T, S],
    cross_queries: [L, H, T, d],
    cross_keys: [L, H, S, d],
    cross_values: [L, H, S, d],
    logits: [1, T, V],
  };
  const buffers: Record<string, Float32Array> = {};
  const into: Record<string, Ort.Tensor> = {};
  for (const name of TRANSLATION_OUTPUTS) {
    const dims = shapes[name];
    buffers[name] = new Float32Array(dims.reduce((a, b) => a * b, 1));
    into[name] = new ort.Tensor('float32', buffers[name], dims);
  }
  const { out, filled, inferenceMs } = await runIntoBuffers(session, feeds, into, [...TRANSLATION_OUTPUTS], manifest.modelPath, S + T);
  const data: Record<string, Float32Array> = {};
  for (const name of TRANSLATION_OUTPUTS) {
    expectShape(manifest.modelPath, name, out[name].dims, shapes[name]);
    data[name] = filled ? buffers[name] : (out[name].data as Float32Array);
  }
  const set = (prefix: 'encoder' | 'decoder' | 'cross'): AttentionTensors => ({
    attentions: data[`${prefix}_attentions`],
    queries: data[`${prefix}_queries`],
    keys: data[`${prefix}_keys`],
    values: data[`${prefix}_values`],
  });
  const which = options.logits ?? 'last';
  const result: TranslationOutputs = { sourceLength: S, targetLength: T, encoder: set('encoder'), decoder: set('decoder'), cross: set('cross'), inferenceMs };
  if (which === 'all') result.logits = data.logits;
  // A copy of one row: the worker then moves V floats back, not T × V.
  else if (which === 'last') result.logits = data.logits.slice((T - 1) * V, T * V);
  return result;
}
