/**
 * The ModelManifest of a Hugging Face folder, so every view and the CLI treat it like a bundled model. What a plain
 * export cannot give is said by `capabilities` (no q/k/v, no what-if mask), for the UI to disable.
 */
import path from 'node:path';
import { ModelConfigError, type ModelManifest } from '../model/modelManifest';
import { chooseVariant, type HfFolderInfo } from './hfFolder';

export interface HfManifestOptions {
  id: string;
  /** A variant file name (`model_fp16.onnx`); default `model.onnx` or the only one. */
  variant?: string;
  /** Where rewritten graphs are cached; never inside the model folder. */
  cacheFolder: string;
}

export function hfManifest(info: HfFolderInfo, options: HfManifestOptions): ModelManifest {
  const c = info.config;
  if (c.kind === 'encoder-decoder') {
    throw new ModelConfigError(
      info.encoderDecoder?.encoder ?? info.configPath,
      '(file)',
      `is an encoder-decoder model (${c.modelType ?? c.architectures[0] ?? 'seq2seq'}); opening encoder-decoder folders is not yet supported`,
    );
  }
  const variant = chooseVariant(info, options.variant);
  const label = c.architectures[0] ?? c.modelType ?? 'model';
  return {
    id: options.id,
    displayName: `${path.basename(info.folder)} (${label}${variant.name === 'model.onnx' ? '' : `, ${variant.name}`})`,
    kind: c.kind,
    layers: c.layers,
    heads: c.heads,
    dModel: c.dModel,
    headDim: c.headDim,
    maxPositions: c.maxPositions,
    vocabSize: c.vocabSize,
    positional: undefined,
    corpus: undefined,
    license: undefined,
    defaultHead: undefined,
    folder: info.folder,
    modelPath: variant.path,
    tokenizerPath: info.tokenizerPath,
    source: 'hf',
    variant: variant.name,
    // A plain export returns no q/k/v. An encoder's graph gets an attention_bias input added before each Softmax
    // (attentionGraph.ts), and as its own mask is only the all-ones attention_mask, any mask can be applied; a
    // decoder's causal mask is built inside its graph, so adding a bias could never show it a later token.
    capabilities: { vectors: false, anyMask: c.kind === 'encoder' },
    hf: {
      modelType: c.modelType,
      architectures: c.architectures,
      kvHeads: c.kvHeads,
      cacheFolder: options.cacheFolder,
      configPath: info.configPath,
      tokenizerConfigPath: info.tokenizerConfigPath,
      specialTokensMapPath: info.specialTokensMapPath,
    },
  };
}
