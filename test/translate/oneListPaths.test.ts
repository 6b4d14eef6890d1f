/**
 * The paths built for one token list (analysis, predictions, the formula run, the page's recording) meet a
 * translation model or a translation's joint analysis without crashing: they refuse by name, or say what is missing.
 */
import { describe, expect, it } from 'vitest';
import { recordMessages } from '../../src/export/standalonePage';
import { formulaRun } from '../../src/formula/formulaRunner';
import { predictionContext, predictionsForAll, runWithLogits } from '../../src/predict/predictions';
import { translateToAnalysis } from '../../src/translate/translateAnalysis';
import { bundledRegistry } from '../helpers/bundled';
import type { AnalysisStartMessage } from '../../src/protocol/messages';

const registry = bundledRegistry();

describe('a translation model on the one-list paths', () => {
  it('predictions refuse it with a reason, and its logits run by name', async () => {
    const m = await registry.get('translation');
    const ctx = await predictionContext(m, await registry.tokenizer(m));
    await expect(predictionsForAll(ctx, [1, 2, 3], 5, 1)).rejects.toThrow(/"translation" (is a translation model|has no mask token)/);
    await expect(runWithLogits(m, [1, 2, 3])).rejects.toThrow(/"translation" is a translation model: use Translate Selection/);
  });

  it("the formula run of a translation's analysis says why it has no formula steps", async () => {
    const manifest = await registry.get('translation');
    const joint = await translateToAnalysis({ registry, manifest, text: 'Quit', to: 'zh', target: '退出' });
    const run = await formulaRun(joint!);
    expect(run).toMatchObject({ ok: false });
  });

  it("the page's recording carries the translation and every stacked layer's heads", async () => {
    const manifest = await registry.get('translation');
    const joint = (await translateToAnalysis({ registry, manifest, text: 'Quit', to: 'zh', target: '退出' }))!;
    const messages = recordMessages([joint], 'text');
    const start = messages.find((m): m is AnalysisStartMessage => m.type === 'analysisStart');
    expect(start?.translation).toEqual(joint.translation);
    expect(start?.model.setLayers).toBe(manifest.layers);
    expect(messages.filter((m) => m.type === 'headData')).toHaveLength(3 * manifest.layers * manifest.heads);
  });
});
