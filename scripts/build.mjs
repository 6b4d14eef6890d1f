// One build for every target: the extension host, the CLI, the benchmark, and the webview bundle.
// Type checking is separate (`npm run typecheck`); esbuild only strips types.
import { build } from 'esbuild';
import { mkdir, copyFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
await mkdir(dist, { recursive: true });

const nodeTarget = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  // onnxruntime-node is a native module: it stays in node_modules and is loaded lazily at run time.
  external: ['vscode', 'onnxruntime-node', 'playwright-core'],
  logLevel: 'warning',
};

await Promise.all([
  // The extension host's code is two bundles. VS Code's activation time counts loading `main` (dist/extension.js)
  // and activate(), so that bundle holds only the registrations (src/extension.ts, src/activationContributions.ts);
  // everything else — panels, analysis, models, tokenizers, export — is dist/extensionMain.js, which the first
  // command or panel restore requires. Its metafile (dist/extension.meta.json, not packed) lets the activation
  // test check that nothing heavy slipped into the activation bundle.
  build({ ...nodeTarget, entryPoints: [path.join(root, 'src/extension.ts')], outfile: path.join(dist, 'extension.js'), metafile: true }).then((r) =>
    writeFile(path.join(dist, 'extension.meta.json'), JSON.stringify(r.metafile)),
  ),
  build({ ...nodeTarget, entryPoints: [path.join(root, 'src/extensionMain.ts')], outfile: path.join(dist, 'extensionMain.js') }),
  build({
    ...nodeTarget,
    entryPoints: [path.join(root, 'src/model/inferenceWorker.ts')],
    outfile: path.join(dist, 'inferenceWorker.js'),
  }),
  build({
    ...nodeTarget,
    entryPoints: [path.join(root, 'src/cli.ts')],
    outfile: path.join(dist, 'cli.js'),
    banner: { js: '#!/usr/bin/env node' },
  }),
  // The benchmark (`npm run bench`, bench/README.md). It reuses the e2e harness test/e2e/codeServer.ts, which
  // finds the repository from import.meta.url: in this CommonJS bundle that URL is pointed at the harness's
  // own source path so its repoRoot resolves as it does under vitest.
  build({
    ...nodeTarget,
    entryPoints: [path.join(root, 'bench/bench.ts')],
    outfile: path.join(dist, 'bench.js'),
    define: { 'import.meta.url': '__benchHarnessUrl' },
    banner: {
      js: "const __benchHarnessUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'test', 'e2e', 'codeServer.ts')).href;",
    },
  }),
  // Issue 14's probe: progressive first paint in code-server, settings in turns (bench/progressiveProbe.ts).
  build({
    ...nodeTarget,
    entryPoints: [path.join(root, 'bench/progressiveProbe.ts')],
    outfile: path.join(dist, 'progressiveProbe.js'),
    define: { 'import.meta.url': '__benchHarnessUrl' },
    banner: {
      js: "const __benchHarnessUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'test', 'e2e', 'codeServer.ts')).href;",
    },
  }),
  // Two ONNX files of one model side by side (bench/modelFileCompare.ts; used for the fp16-weight files).
  build({ ...nodeTarget, entryPoints: [path.join(root, 'bench/modelFileCompare.ts')], outfile: path.join(dist, 'modelFileCompare.js') }),
  build({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    sourcemap: false,
    entryPoints: [path.join(root, 'webview/main.ts')],
    outfile: path.join(dist, 'webview.js'),
    logLevel: 'warning',
  }),
]);
await copyFile(path.join(root, 'webview/styles.css'), path.join(dist, 'webview.css'));
