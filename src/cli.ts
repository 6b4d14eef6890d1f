/**
 * `attention-lens analyze FILE [--model ID] [--mask full|causal] (--json | --html OUT.html)`
 * The same pipeline as the extension, without VS Code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelRegistry, DEFAULT_MODEL_ID } from './model/modelRegistry';
import { analyzeWindow, tokenizeFor } from './pipeline/analyze';
import { attentionJsonText } from './common/attentionJson';
import { analysisToJson, buildStandaloneHtml } from './export/standalonePage';
import type { MaskKind } from './protocol/messages';

const USAGE = `Usage: attention-lens analyze FILE [--model ID] [--mask full|causal] (--json | --html OUT.html)
       attention-lens models

  --model ID     a folder name under models/ (default: ${DEFAULT_MODEL_ID})
  --mask KIND    run under another mask than the model was trained with (a what-if)
  --json         print tokens (UTF-16 offsets) and every attention weight as JSON
  --html OUT     write a standalone page (works offline from file://)
  --window N     for texts longer than the model reads: which window of max_positions tokens (from 0)`;

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
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { command: argv[0] ?? '', model: DEFAULT_MODEL_ID, json: false, window: 0 };
  const rest = argv.slice(1);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--model') args.model = value();
    else if (a === '--mask') {
      const m = value();
      if (m !== 'full' && m !== 'causal') throw new UsageError(`--mask must be "full" or "causal" (got "${m}")`);
      args.mask = m;
    } else if (a === '--json') args.json = true;
    else if (a === '--html') args.html = value();
    else if (a === '--models-dir') args.modelsDir = value();
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
    if (args.command !== 'analyze' && args.command !== 'models') throw new UsageError(args.command ? `unknown command "${args.command}"` : '');
    if (args.command === 'analyze' && !args.file) throw new UsageError('analyze needs a FILE');
    if (args.command === 'analyze' && !args.json && !args.html) throw new UsageError('choose --json or --html OUT.html');
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) process.stderr.write(`attention-lens: ${e.message}\n`);
      process.stderr.write(USAGE + '\n');
      return 2;
    }
    throw e;
  }
  const root = path.resolve(__dirname, '..');
  const registry = new ModelRegistry([args.modelsDir ? path.resolve(args.modelsDir) : path.join(root, 'models')]);
  if (args.command === 'models') {
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
  const manifest = await registry.get(args.model);
  const tokens = await tokenizeFor(registry, manifest, text);
  const { result, offset, window } = await analyzeWindow(manifest, text, tokens, args.window, args.mask);
  if (window.count > 1) {
    process.stderr.write(`${tokens.length} tokens: showing window ${window.index + 1} of ${window.count} (--window N picks another).\n`);
  }
  // Token offsets are into the whole file, as the tokens were cut from it; the page exports the same JSON.
  const placed = { ...window, offset };
  if (args.json) process.stdout.write(attentionJsonText(analysisToJson(result, placed)));
  if (args.html) {
    const out = path.resolve(args.html);
    const html = await buildStandaloneHtml([result], { distDir: __dirname, sourceLabel: path.basename(file), window: placed });
    await writeFile(out, html);
    process.stderr.write(`Wrote ${out} (${result.n} tokens, model ${result.model.id}, ${result.mask} mask). Open it in a browser.\n`);
  }
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
