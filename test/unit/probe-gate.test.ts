import { describe, expect, it } from 'vitest';
import { ProbeGate } from '../../src/proxy/outage-hold.js';

const never = new AbortController().signal;
const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  // Two turns of the microtask queue are enough for an already-resolved turn to land.
  await Promise.resolve();
  await Promise.resolve();
  return done;
};

describe('ProbeGate', () => {
  it('lets everyone through while there is no outage', async () => {
    const gate = new ProbeGate();
    await gate.acquire(never);
    expect(await settled(gate.acquire(never))).toBe(true);
  });

  it('takes turns during an outage, in arrival order', async () => {
    const gate = new ProbeGate();
    gate.outageBegan();
    const release = await gate.acquire(never);
    const order: string[] = [];
    const second = gate.acquire(never).then((next) => (order.push('second'), next));
    const third = gate.acquire(never).then((next) => (order.push('third'), next));
    expect(await settled(second)).toBe(false);
    release();
    release();
    (await second)();
    (await third)();
    expect(order).toEqual(['second', 'third']);
  });

  it('lets every waiting probe go at once when the upstream recovers', async () => {
    const gate = new ProbeGate();
    gate.outageBegan();
    const staleRelease = await gate.acquire(never);
    const waiting = [gate.acquire(never), gate.acquire(never)];
    gate.recovered();
    expect(await Promise.all(waiting.map(settled))).toEqual([true, true]);
    // A new outage: a turn from before the recovery cannot hand the gate on.
    gate.outageBegan();
    const current = await gate.acquire(never);
    const next = gate.acquire(never);
    staleRelease();
    expect(await settled(next)).toBe(false);
    current();
    expect(await settled(next)).toBe(true);
  });

  it('gives up a place in the queue when its signal aborts', async () => {
    const gate = new ProbeGate();
    gate.outageBegan();
    const release = await gate.acquire(never);
    const controller = new AbortController();
    const leaving = gate.acquire(controller.signal);
    const staying = gate.acquire(never);
    controller.abort(new Error('agent left'));
    await expect(leaving).rejects.toThrow('agent left');
    release();
    expect(await settled(staying)).toBe(true);
  });

  it('ends a pause early on recovery, and at once on abort', async () => {
    const gate = new ProbeGate();
    const started = performance.now();
    const pause = gate.pause(60_000, never);
    gate.recovered();
    await pause;
    expect(performance.now() - started).toBeLessThan(5_000);
    const controller = new AbortController();
    const aborted = gate.pause(60_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow();
  });
});
