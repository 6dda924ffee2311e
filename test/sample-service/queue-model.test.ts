import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  capacityAtSlo,
  queueState,
  serviceScv,
  sojournQuantileMs,
  type QueueSystem,
} from '../../src/sample-service/queue-model.js';
import { seededRandom } from '../../src/domain/random.js';

/**
 * An M/G/c/K discrete-event simulation: FCFS, each arrival takes the earliest-free worker; it is
 * refused when it would have to wait and K requests already wait. Returns the p95 sojourn of
 * admitted requests (after a warm-up tenth) and the refused share.
 */
function simulate(
  system: QueueSystem,
  lambdaPerMs: number,
  arrivals: number,
  seed: number,
): { p95: number; refused: number } {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
  const free = new Array<number>(system.servers).fill(0);
  const starts: number[] = [];
  let head = 0;
  let t = 0;
  let refused = 0;
  const sojourns: number[] = [];
  for (let i = 0; i < arrivals; i++) {
    t += -Math.log(random()) / lambdaPerMs;
    while (head < starts.length && starts[head]! <= t) head++;
    let worker = 0;
    for (let s = 1; s < free.length; s++) if (free[s]! < free[worker]!) worker = s;
    const start = Math.max(t, free[worker]!);
    if (start > t && starts.length - head >= system.queueLimit) {
      refused++;
      continue;
    }
    let u = random();
    const kind = system.service.find((c) => (u -= c.weight) < 0) ?? system.service.at(-1)!;
    const service = kind.meanMs * Math.exp(system.sigma * normal() - system.sigma ** 2 / 2);
    free[worker] = start + service;
    if (start > t) starts.push(start);
    if (i > arrivals / 10) sojourns.push(start + service - t);
  }
  sojourns.sort((a, b) => a - b);
  return { p95: sojourns[Math.floor(0.95 * sojourns.length)]!, refused: refused / arrivals };
}

const mixed = (hit: number, hitMs: number, missMs: number) => [
  { weight: hit, meanMs: hitMs },
  { weight: 1 - hit, meanMs: missMs },
];

describe('M/G/c/K approximation', () => {
  const cases: { name: string; system: QueueSystem; lambdaPerMs: number }[] = [
    {
      name: 'the default config near its knee',
      system: { servers: 2, queueLimit: 32, service: mixed(0.25, 5, 40), sigma: 0.25 },
      lambdaPerMs: 0.055,
    },
    {
      name: 'a short queue that refuses',
      system: { servers: 8, queueLimit: 4, service: mixed(0.8, 5, 40), sigma: 0.25 },
      lambdaPerMs: 0.55,
    },
    {
      name: 'a long queue at 88% load',
      system: { servers: 8, queueLimit: 1000, service: mixed(0.8, 5, 40), sigma: 0.25 },
      lambdaPerMs: 0.6,
    },
    {
      name: 'a wide pool',
      system: { servers: 32, queueLimit: 100, service: mixed(0.6, 10, 80), sigma: 0.25 },
      lambdaPerMs: 0.85,
    },
  ];
  for (const { name, system, lambdaPerMs } of cases) {
    it(`agrees with a simulation: ${name}`, () => {
      const state = queueState(system, lambdaPerMs);
      const model = sojournQuantileMs(state, 0.95);
      const simulated = simulate(system, lambdaPerMs, 200_000, 7);
      assert.ok(
        Math.abs(model / simulated.p95 - 1) < 0.08,
        `p95 ${model.toFixed(1)} vs simulated ${simulated.p95.toFixed(1)} ms`,
      );
      assert.ok(
        Math.abs(state.refused - simulated.refused) < 0.01 + 0.2 * simulated.refused,
        `refused ${state.refused} vs ${simulated.refused}`,
      );
    });
  }

  it('with no queue refuses as Erlang B says, whatever the service distribution', () => {
    const system: QueueSystem = { servers: 3, queueLimit: 0, service: mixed(0.5, 10, 30), sigma: 0.25 };
    const offered = 0.1 * 20;
    let b = 1;
    for (let k = 1; k <= 3; k++) b = (offered * b) / (k + offered * b);
    assert.ok(Math.abs(queueState(system, 0.1).refused - b) < 1e-12);
    // Nobody waits: the sojourn is the service time alone, a lognormal mixture.
    assert.ok(queueState(system, 0.1).sojournTail(1e6) < 1e-12);
  });

  it('knows the service time variability of a hit/miss mixture', () => {
    const system: QueueSystem = { servers: 1, queueLimit: 0, service: mixed(0.5, 10, 30), sigma: 0 };
    assert.ok(Math.abs(serviceScv(system) - 0.25) < 1e-12, 'mean 20, sd 10');
  });

  it('puts capacity at the load where the SLO just holds', () => {
    const system: QueueSystem = { servers: 4, queueLimit: 50, service: mixed(0.5, 5, 40), sigma: 0.25 };
    const slo = { quantileMs: 120, quantile: 0.95, errorRate: 0.01 };
    const capacity = capacityAtSlo(system, slo);
    const at = (perSecond: number) => sojournQuantileMs(queueState(system, perSecond / 1000), 0.95);
    assert.ok(at(capacity * 0.999) <= 120 && at(capacity * 1.01) > 120, `p95 ${at(capacity)} ms at ${capacity} req/s`);
    assert.ok(capacity < (4 * 1000) / 22.5, 'below saturation');
    assert.equal(capacityAtSlo(system, { ...slo, quantileMs: 10 }), 0, 'a miss alone takes longer than 10 ms');
  });
});
