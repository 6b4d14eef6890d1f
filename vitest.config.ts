import { defineConfig } from 'vitest/config';

// Three projects, all run by `npm test` (scripts/test.mjs) and `npx vitest run`:
//   unit    — fast node tests (host code, protocol, tokenizer, model invariants)
//   webview — the panel page in real Chromium (playwright-core + /usr/bin/chromium); one browser at a time
//   e2e     — the extension in a real VS Code (code-server) driven through the UI; sequential, slow
// Pick one with `npx vitest run --project unit` (or webview / e2e).
// The projects run one after another (sequence.groupOrder): unit, then webview, then e2e, so a slow machine never
// runs onnxruntime-heavy unit tests, Chromium and code-server all at once.
export default defineConfig({
  test: {
    reporters: process.env.CI ? ['verbose'] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/webview/**', '**/node_modules/**', '.cache/**'],
          environment: 'node',
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'webview',
          include: ['test/webview/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/globalSetup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          maxConcurrency: 1,
          sequence: { concurrent: false, groupOrder: 2 },
          retry: 0,
        },
      },
    ],
  },
});
