/**
 * Which errors seen during an e2e run are the extension's, told apart by where they come from rather than by what
 * they say.
 *
 * A code-server page logs errors from four places:
 *  - the workbench's own scripts and log writer (`/static/out/vs/…`, `/static/node_modules/…` on the server): its
 *    lifecycle and IndexedDB log flushes racing a reload, the missing `vsda` module, service-worker notices. These
 *    are VS Code's, whatever the timing, and never fail a test — unless they name the extension (the workbench
 *    echoes an extension's error notifications to the console, and that is our error);
 *  - the extension host, forwarded to the page console with the prefix `[Extension Host]` (the sandbox loads our
 *    extension and VS Code's built-ins only);
 *  - our webview (its bundle `dist/webview.js`, or anything else whose source cannot be placed);
 *  - uncaught exceptions in any frame of the page (`pageerror`, webview frames included).
 * Two log files complete the picture: our output channel and the extension host log, at level `[error]`.
 *
 * Everything but the workbench's own messages is the extension's, so an error we cannot place fails the test.
 */

export type ConsoleOrigin = 'extension-host' | 'webview' | 'workbench' | 'unknown';

export interface ConsoleEntry {
  type: string;
  text: string;
  /** The script (or resource) the message came from: Playwright's `ConsoleMessage.location().url`; '' if none. */
  url: string;
  origin: ConsoleOrigin;
  at: number;
}

export interface ExtensionError {
  /** Where it was seen: `console:<origin>`, `page-error`, `output-channel` or `extension-host-log`. */
  source: string;
  text: string;
  url?: string;
}

/** Names by which the extension appears in a message or a resource path. */
const OUR_NAMES = /attention[ -]?lens/i;
/** The server's static tree: the workbench's scripts and the modules they load. */
const WORKBENCH_STATIC = /\/static\/(out|node_modules)\//;
/** VS Code's webview host pages live in that tree too, but the inner frame runs our bundle. */
const WEBVIEW_CONTENT = /\/dist\/webview\.js|vscode-resource|vscode-remote-resource/;

export function consoleOrigin(text: string, url: string): ConsoleOrigin {
  if (text.includes('[Extension Host]')) return 'extension-host';
  if (WEBVIEW_CONTENT.test(url) || OUR_NAMES.test(url)) return 'webview';
  if (WORKBENCH_STATIC.test(url)) return 'workbench';
  return 'unknown';
}

/** True for a console error that is the workbench's own business (and so does not fail a test). */
export function isWorkbenchOwn(entry: ConsoleEntry): boolean {
  // The harness's sandbox folder (mkdtemp 'attention-lens-e2e-…', codeServer.ts) is in every user-data path the
  // workbench names, e.g. a settings cache write cancelled by a reload: that is not the extension being named.
  const text = entry.text.replace(/attention-lens-e2e-[A-Za-z0-9]+/g, '');
  return entry.origin === 'workbench' && !OUR_NAMES.test(text);
}

/** Lines at level error (`[error]`) in a VS Code log text. */
export function errorLines(logText: string): string[] {
  return logText.split('\n').filter((l) => /\[error\]/i.test(l));
}

/** What to say when the extension's errors fail a test: each one with where it came from, then the ignored ones. */
export function describeErrors(ours: ExtensionError[], ignored: ConsoleEntry[]): string {
  const lines = [`${ours.length} error(s) from the extension:`];
  for (const e of ours) lines.push(`  [${e.source}]${e.url ? ` ${e.url}` : ''}\n    ${e.text.slice(0, 2000)}`);
  lines.push(`${ignored.length} workbench console error(s) not counted (VS Code's own scripts):`);
  for (const e of ignored) lines.push(`  ${e.url}\n    ${e.text.slice(0, 300)}`);
  return lines.join('\n');
}
