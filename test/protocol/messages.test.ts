import { describe, expect, it } from 'vitest';
import { dequantizeWeight, isHostToWebview, isWebviewToHost, quantizeWeights, type HostToWebview } from '../../src/protocol/messages';
import { deserializeMessages, serializeMessages } from '../../src/protocol/serialize';

describe('protocol', () => {
  it('recognises each direction by its type and rejects others', () => {
    expect(isWebviewToHost({ type: 'ready', protocolVersion: 1 })).toBe(true);
    expect(isWebviewToHost({ type: 'headData' })).toBe(false);
    expect(isHostToWebview({ type: 'headData' })).toBe(true);
    for (const junk of [null, 3, 'ready', {}, { type: 7 }, { type: 'nope' }]) {
      expect(isWebviewToHost(junk)).toBe(false);
      expect(isHostToWebview(junk)).toBe(false);
    }
  });

  it('quantises weights to one byte with error at most 1/510', () => {
    const w = new Float32Array(10001).map((_, i) => i / 10000);
    const q = quantizeWeights(w);
    let worst = 0;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(dequantizeWeight(q[i]) - w[i]));
    expect(worst).toBeLessThanOrEqual(1 / 510 + 1e-7);
    expect(quantizeWeights(new Float32Array([-0.1, 1.2, 0]))).toEqual(new Uint8Array([0, 255, 0]));
  });

  it('serialises message streams with binary payloads and hostile text intact', () => {
    const data = new Uint8Array([0, 1, 254, 255]).buffer;
    const messages: HostToWebview[] = [
      { type: 'headData', generation: 3, slot: 0, layer: 1, head: 2, data },
      { type: 'analysisError', generation: 3, slot: 1, message: '</script><img src=x onerror=alert(1)>' },
    ];
    const back = deserializeMessages(serializeMessages(messages));
    expect(new Uint8Array((back[0] as { data: ArrayBuffer }).data)).toEqual(new Uint8Array(data));
    expect((back[1] as { message: string }).message).toBe('</script><img src=x onerror=alert(1)>');
  });
});
