import { describe, expect, it } from 'vitest';
import { LatestOnlyRunner } from '../../src/pipeline/latestOnly';

describe('latest-only runner', () => {
  it('under a storm of 200 requests runs one at a time and only the first and the last', async () => {
    const runner = new LatestOnlyRunner();
    const ran: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        runner.run(async () => {
          ran.push(i);
          await new Promise((r) => setTimeout(r, 5));
          return i;
        }),
      ),
    );
    expect(ran).toEqual([0, 199]);
    expect(runner.maxInFlight).toBe(1);
    expect(results.filter((r) => r !== undefined)).toEqual([0, 199]);
  });

  it('passes errors to the caller and keeps running later tasks', async () => {
    const runner = new LatestOnlyRunner();
    await expect(runner.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(runner.run(async () => 7)).resolves.toBe(7);
  });
});
