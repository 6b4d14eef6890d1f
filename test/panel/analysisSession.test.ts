/**
 * AnalysisSession with the real models: a selection that moves on supersedes an analysis still being computed
 * (it is never shown), the analysis on screen stays, and `covers` tells the follow-selection path whether the
 * new selection still needs an analysis.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisSession, type TextSource } from '../../src/panel/analysisSession';
import { dispatch, webviewToHostTypes, type HostToWebview, type WebviewToHost } from '../../src/protocol/messages';
import { webviewHandlers, type PanelActions } from '../../src/panel/webviewMessages';
import { inProcessInference, type InferenceBackend } from '../../src/model/modelRunner';
import { bundledRegistry } from '../helpers/bundled';

const registry = bundledRegistry();
const source = (text: string, version = 1): TextSource => ({ uri: 'file:///a.txt', version, text, startOffset: 0, label: 'a.txt' });

function session(posted: HostToWebview[]): AnalysisSession {
  return new AnalysisSession({ registry: () => registry, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder' });
}

/** The panel's VS Code side, reduced to nothing: these tests look at what the session posts. */
const noPanel: PanelActions = { ready: async () => undefined, showFocus: () => undefined, export: async () => undefined, log: () => undefined };
/** Delivers a webview message through the host's handler table, as the panel does. */
const receive = (s: AnalysisSession, m: WebviewToHost): Promise<void> | void => dispatch(webviewHandlers(s, noPanel), m);

const startsOf = (posted: HostToWebview[]): string[] =>
  posted.filter((m): m is Extract<HostToWebview, { type: 'analysisStart' }> => m.type === 'analysisStart').map((m) => m.text);

describe('analysis session: superseding', () => {
  it('never shows an analysis superseded while it computed; the shown one stays, covers() follows', async () => {
    const posted: HostToWebview[] = [];
    const s = session(posted);
    const a = source('The first selection, shown in full.');
    await s.analyzeSource(a);
    expect(startsOf(posted)).toEqual([a.text]);
    expect(s.covers(a)).toBe(true);

    const b = source('A second selection that the person moves away from while it is being computed.');
    const running = s.analyzeSource(b);
    expect(s.covers(b)).toBe(true); // computing b
    s.supersedePending(); // the selection changed again
    await running;
    expect(startsOf(posted)).toEqual([a.text]); // b was never shown, nothing failed
    expect(posted.some((m) => m.type === 'analysisError')).toBe(false);
    expect(posted.filter((m) => m.type === 'analysisComplete')).toHaveLength(1); // a's stream was complete: nothing re-sent
    expect(s.covers(b)).toBe(false); // so a return to b analyses it again
    expect(s.covers(a)).toBe(true); // a is still on screen

    // The requests the webview makes for the analysis on screen are still answered.
    const gen = posted.find((m) => m.type === 'analysisStart')!.generation;
    posted.length = 0;
    await receive(s, { type: 'requestVectors', generation: gen, slot: 0, layer: 1, head: 2 });
    expect(posted.map((m) => m.type)).toEqual(['headVectors']);

    await s.analyzeSource(b);
    expect(startsOf(posted)).toEqual([b.text]);
    expect(s.covers(b)).toBe(true);
  });

  it('supersedes nothing once the analysis is shown', async () => {
    const posted: HostToWebview[] = [];
    const s = session(posted);
    const a = source('Shown before the selection moved.');
    await s.analyzeSource(a);
    s.supersedePending();
    expect(s.covers(a)).toBe(true);
    expect(startsOf(posted)).toEqual([a.text]);
  });
});

describe('the host\'s handler table', () => {
  it('has one handler for each webview → host message type the run-time check accepts, and no other', () => {
    const table = webviewHandlers(session([]), noPanel);
    expect(Object.keys(table).sort()).toEqual([...webviewToHostTypes].sort());
  });
});

describe('inference backend', () => {
  it('runs the model through the backend the session was given', async () => {
    const runs: number[] = [];
    const counting: InferenceBackend = {
      run: (manifest, ids, bias, options) => {
        runs.push(ids.length);
        return inProcessInference.run(manifest, ids, bias, options);
      },
      dispose: async () => undefined,
    };
    const posted: HostToWebview[] = [];
    const s = new AnalysisSession({ registry: () => registry, inference: counting, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder' });
    await s.analyzeSource(source('Inference goes where the session says.'));
    const start = posted.find((m) => m.type === 'analysisStart') as Extract<HostToWebview, { type: 'analysisStart' }>;
    expect(runs).toEqual([start.tokens.length]);
  });
});
