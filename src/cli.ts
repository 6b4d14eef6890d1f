/**
 * `attention-lens analyze FILE [--model ID] [--mask full|causal] [--predictions K] (--json | --html OUT.html)`
 * `attention-lens generate FILE --tokens N [--temperature T] [--top-k K] [--seed S] [--model ID] [--json]`
 * `attention-lens translate FILE [--to zh|en] [--target REFERENCE_FILE] [--model ID|PATH] [--json] [--html OUT.html]`
 * The same pipeline as the extension, without VS Code.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelRegistry, DEFAULT_MODEL_ID } from './model/modelRegistry';
import { analyzeTokens, analyzeWindow, InputError, tokenizeFor } from './pipeline/analyze';
import { continuation, promptForGeneration } from './predict/continuation';
import { generate } from './predict/generate';
import { predictionContext, predictionsForAll, type Prediction } from './predict/predictions';
import { attentionJsonText, type AttentionJson } from './common/attentionJson';
import type { ModelManifest } from './model/modelManifest';
import { analysisToJson, buildStandaloneHtml } from './export/standalonePage';
import type { MaskKind } from './protocol/messages';
import { translateCommand } from './translate/translateCommand';
import { notForAnalysisMessage } from './translate/translationErrors';

const USAGE = `Usage: attention-lens analyze FILE [--model ID|PATH] [--variant FILE] [--mask full|causal] [--predictions K] (--json | --html OUT.html)
       attention-lens generate FILE --tokens N [--temperature T] [--top-k K] [--seed S] [--model ID] [--json]
       attention-lens translate FILE [--to zh|en] [--target REFERENCE_FILE] [--model ID|PATH] [--json] [--html OUT.html]
       attention-lens models [--model PATH] [--variant FILE]

  --model ID     a folder name under models/ (default: ${DEFAULT_MODEL_ID})
  --model PATH   a model folder: a Hugging Face ONNX export (config.json, tokenizer.json, onnx/model.onnx) or a
                 folder with model.json; a path is anything with a slash or an existing folder
  --variant FILE which model file of a Hugging Face folder (e.g. model_fp16.onnx; default model.onnx or the only one)
  --cache-dir D  where rewritten Hugging Face graphs are cached (default ~/.cache/attention-lens/graphs)
  --mask KIND    run under another mask than the model was trained with (a what-if)
  --json         print tokens (UTF-16 offsets) and every attention weight as JSON
  --html OUT     write a standalone page (works offline from file://)
  --window N     for texts longer than the model reads: which window of max_positions tokens (from 0)
  --predictions K  with --json: for every position, the K likeliest next tokens (causal) or, for the encoder,
                 the K likeliest fillers if that position were masked (one run per position), p at temperature 1

generate continues the text of FILE with a causal model (default: causal), one full forward pass per token
(no key/value cache):
  --tokens N       how many tokens to add
  --temperature T  0 = greedy (the likeliest token each time); otherwise sample from softmax(logits / T) (default 1)
  --top-k K        sample only among the K likeliest tokens (default 0 = all)
  --seed S         seed of the sampler: the same seed gives the same tokens (default 0)
  --json           the generated tokens (text, id) and the whole sequence's tokens and attention as analyze --json

translate writes FILE's text in the other language with a translation model (default: translation), greedily,
one forward pass per token, and shows its three attentions (encoder self, decoder self, cross); trailing whitespace
is left out of the source:
  --to zh|en       the language to write (default: English for mostly Han text, else Chinese)
  --target FILE    align this translation (teacher forcing) instead of the model's own
  --json           {model, direction, source: {tokens}, target: {text, tokens}, attention: {encoder, decoder,
                   cross}}: token ranges in UTF-16 units (source: of FILE's text; target: of target.text),
                   weights as [layer][head][query][key]
  --html OUT       a standalone page of the same views as the panel
  without --json or --html, the translation is printed`;

class UsageError extends Error {}

interface CliArgs {
  command: string;
  file?: string;
  model: string;
  mask?: MaskKind;
  json: boolean;
  html?: string;
  modelsDir?: string;
  window: number;
  predictions?: number;
  tokens?: number;
  temperature: number;
  topK: number;
  seed: number;
  modelGiven: boolean;
  variant?: string;
  cacheDir?: string;
  to?: 'zh' | 'en';
  target?: string;
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { command: argv[0] ?? '', model: DEFAULT_MODEL_ID, json: false, window: 0, temperature: 1, topK: 0, seed: 0, modelGiven: false };
  const rest = argv.slice(1);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const wholeNumber = (min: number): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) throw new UsageError(`${a} must be a whole number from ${min}`);
      return v;
    };
    if (a === '--model') {
      args.model = value();
      args.modelGiven = true;
    } else if (a === '--predictions') args.predictions = wholeNumber(1);
    else if (a === '--tokens') args.tokens = wholeNumber(1);
    else if (a === '--top-k') args.topK = wholeNumber(0);
    else if (a === '--seed') args.seed = wholeNumber(0);
    else if (a === '--temperature') {
      const t = Number(value());
      if (!Number.isFinite(t) || t < 0) throw new UsageError('--temperature must be 0 (greedy) or a positive number');
      args.temperature = t;
    }
    else if (a === '--mask') {
      const m = value();
      if (m !== 'full' && m !== 'causal') throw new UsageError(`--mask must be "full" or "causal" (got "${m}")`);
      args.mask = m;
    } else if (a === '--json') args.json = true;
    else if (a === '--html') args.html = value();
    else if (a === '--to') {
      const to = value();
      if (to !== 'zh' && to !== 'en') throw new UsageError(`--to must be "zh" or "en" (got "${to}")`);
      args.to = to;
    } else if (a === '--target') args.target = value();
    else if (a === '--models-dir') args.modelsDir = value();
    else if (a === '--variant') args.variant = value();
    else if (a === '--cache-dir') args.cacheDir = value();
    else if (a === '--window') {
      const w = Number(value());
      if (!Number.isInteger(w) || w < 0) throw new UsageError('--window must be a whole number from 0');
      args.window = w;
    }
    else if (a === '--help' || a === '-h') throw new UsageError('');
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else if (args.file === undefined) args.file = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  return args;
}

export async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
    if (!['analyze', 'generate', 'translate', 'models'].includes(args.command)) throw new UsageError(args.command ? `unknown command "${args.command}"` : '');
    if (args.command !== 'models' && !args.file) throw new UsageError(`${args.command} needs a FILE`);
    if (args.command === 'analyze' && !args.json && !args.html) throw new UsageError('choose --json or --html OUT.html');
    if (args.command === 'analyze' && args.predictions !== undefined && !args.json) throw new UsageError('--predictions goes with --json');
    if (args.command === 'generate' && args.tokens === undefined) throw new UsageError('generate needs --tokens N');
    // Only a causal model continues a text, so generate defaults to the bundled one.
    if (args.command === 'generate' && !args.modelGiven) args.model = 'causal';
    if (args.command === 'translate' && !args.modelGiven) args.model = 'translation';
    if (args.command !== 'translate' && (args.to !== undefined || args.target !== undefined)) throw new UsageError('--to and --target go with translate');
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) process.stderr.write(`attention-lens: ${e.message}\n`);
      process.stderr.write(USAGE + '\n');
      return 2;
    }
    throw e;
  }
  const root = path.resolve(__dirname, '..');
  const folder = args.modelGiven && (await isModelPath(args.model)) ? path.resolve(args.model) : undefined;
  if (args.variant !== undefined && !folder) {
    process.stderr.write('attention-lens: --variant goes with --model PATH (a Hugging Face folder)\n');
    return 2;
  }
  const registry = new ModelRegistry([args.modelsDir ? path.resolve(args.modelsDir) : path.join(root, 'models')], {
    extraFolders: folder ? [folder] : [],
    variants: folder && args.variant ? { [folder]: args.variant } : {},
    ...(args.cacheDir ? { cacheFolder: path.resolve(args.cacheDir) } : {}),
  });
  if (args.command === 'models') {
    if (folder) return describeFolder(registry, folder);
    const { models, problems } = await registry.list();
    for (const m of models) process.stdout.write(`${m.id}\t${m.kind}\t${m.layers}×${m.heads}\t${m.displayName}\n`);
    for (const p of problems) process.stderr.write(`broken model ${p.folder}: ${p.error.message}\n`);
    return problems.length ? 1 : 0;
  }
  const file = path.resolve(args.file as string);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    process.stderr.write(`attention-lens: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? e})\n`);
    return 1;
  }
  const manifest = folder ? await registry.getByFolder(folder) : await registry.get(args.model);
  if (args.command === 'translate') {
    return translateCommand(registry, manifest, { file, text, to: args.to, targetFile: args.target, json: args.json, html: args.html, distDir: __dirname });
  }
  // A translation model reads a source and a target, not one token list.
  if (manifest.kind === 'encoder-decoder') throw new InputError(notForAnalysisMessage(manifest));
  if (args.command === 'generate') return generateCommand(registry, manifest, text, args);
  const tokens = await tokenizeFor(registry, manifest, text);
  const { result, offset, window } = await analyzeWindow(manifest, text, tokens, args.window, args.mask);
  if (window.count > 1) {
    process.stderr.write(`${tokens.length} tokens: showing window ${window.index + 1} of ${window.count} (--window N picks another).\n`);
  }
  // Token offsets are into the whole file, as the tokens were cut from it; the page exports the same JSON.
  const placed = { ...window, offset };
  if (args.json) {
    const json: AttentionJson & { predictions?: Prediction[][] } = analysisToJson(result, placed);
    if (args.predictions !== undefined) {
      const ctx = await predictionContext(manifest, await registry.textTokenizer(manifest));
      const all = await predictionsForAll(ctx, result.ids, args.predictions, 1);
      json.predictions = all.map((p) => p.top);
    }
    process.stdout.write(attentionJsonText(json));
  }
  if (args.html) {
    const out = path.resolve(args.html);
    const html = await buildStandaloneHtml([result], {
      distDir: __dirname,
      sourceLabel: path.basename(file),
      window: placed,
      tokenizer: (m) => registry.textTokenizer(m),
    });
    await writeFile(out, html);
    process.stderr.write(`Wrote ${out} (${result.n} tokens, model ${result.model.id}, ${result.mask} mask). Open it in a browser.\n`);
  }
  return 0;
}

/** A `--model` value is a folder path when it has a path separator or names an existing folder. */
async function isModelPath(value: string): Promise<boolean> {
  if (value.includes('/') || value.includes(path.sep)) return true;
  return stat(value).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** `models --model PATH`: what was read from one folder (or why it cannot be opened). */
async function describeFolder(registry: ModelRegistry, folder: string): Promise<number> {
  let m: ModelManifest;
  try {
    m = await registry.getByFolder(folder);
  } catch (e) {
    process.stderr.write(`attention-lens: ${(e as Error).message}\n`);
    return 1;
  }
  const lines: [string, string][] = [
    ['id', m.id],
    ['name', m.displayName],
    ['source', m.source === 'hf' ? 'Hugging Face ONNX export' : 'model.json (Attention Lens contract)'],
    ['kind', m.kind],
    ['architecture', m.hf ? [m.hf.modelType, ...m.hf.architectures].filter(Boolean).join(', ') || 'unknown' : 'contract'],
    ['layers × heads', `${m.layers} × ${m.heads}${m.hf && m.hf.kvHeads !== m.heads ? ` (${m.hf.kvHeads} key/value heads)` : ''}`],
    ['d_model, head_dim', `${m.dModel}, ${m.headDim}`],
    ['max positions', String(m.maxPositions)],
    ['vocabulary', m.vocabSize === undefined ? 'not given' : String(m.vocabSize)],
    ['model file', m.modelPath],
    ['variants', (await registry.variants(m.id)).join(', ') || m.variant || path.basename(m.modelPath)],
    ['tokenizer', m.tokenizerPath],
    ['queries/keys/values', m.capabilities.vectors ? 'yes' : 'no (a plain export does not return them)'],
    ['what-if masks', m.capabilities.anyMask ? 'yes' : "no (the model takes only its own attention_mask)"],
  ];
  for (const [k, v] of lines) process.stdout.write(`${k}\t${v}\n`);
  return 0;
}

/** `generate`: continues the file's text; prints the continued text, or with --json the tokens and attention. */
async function generateCommand(registry: ModelRegistry, manifest: ModelManifest, text: string, args: CliArgs): Promise<number> {
  const tokens = promptForGeneration(await tokenizeFor(registry, manifest, text));
  if (tokens.length >= manifest.maxPositions) {
    throw new InputError(`The text is ${tokens.length} tokens long; model "${manifest.id}" reads at most ${manifest.maxPositions}, which leaves no room to continue it.`);
  }
  const ctx = await predictionContext(manifest, await registry.textTokenizer(manifest));
  const result = await generate(ctx, tokens.map((t) => t.id), {
    tokens: args.tokens ?? 0,
    temperature: args.temperature,
    topK: args.topK,
    seed: args.seed,
  });
  if (result.stoppedBy === 'maxPositions') {
    process.stderr.write(`Stopped after ${result.generated.length} tokens: model "${manifest.id}" reads at most ${manifest.maxPositions} tokens.\n`);
  }
  if (!args.json) {
    process.stdout.write(text + result.text + '\n');
    return 0;
  }
  // The whole sequence analysed as one selection, so the generated tokens' attention is in the usual shape.
  const whole = continuation(text, tokens, result.generated);
  const analysis = await analyzeTokens(manifest, whole.text, whole.tokens, 'default');
  const json = {
    ...analysisToJson(analysis),
    generated: result.generated.map((g) => ({ id: g.id, text: g.text, position: g.position, p: g.p })),
    generatedText: result.text,
    firstGenerated: whole.firstGenerated,
    settings: { tokens: args.tokens, temperature: args.temperature, topK: args.topK, seed: args.seed },
    stoppedBy: result.stoppedBy,
    kvCache: result.kvCache,
    inferenceMsPerToken: result.inferenceMsPerToken,
  };
  process.stdout.write(attentionJsonText(json));
  return 0;
}

if (require.main === module) {
  // Set the exit code rather than calling process.exit(): exiting at once would cut off output still queued
  // for a pipe (`--json | jq` lost everything after the first 64 KiB).
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`attention-lens: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
