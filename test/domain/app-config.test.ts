import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameParams } from '../../src/domain/app-config.js';

describe('sameParams', () => {
  it('ignores the order an app reports its parameters in', () => {
    assert.ok(sameParams({ poolSize: 2, cacheSize: 100 }, { cacheSize: 100, poolSize: 2 }));
  });
  it('tells a changed, missing or extra value', () => {
    assert.ok(!sameParams({ poolSize: 2 }, { poolSize: 3 }));
    assert.ok(!sameParams({ poolSize: 2, cacheSize: 1 }, { poolSize: 2 }));
    assert.ok(!sameParams({ poolSize: 2 }, { poolSize: 2, cacheSize: 1 }));
    assert.ok(!sameParams({ flag: 1 }, { flag: '1' }));
  });
});
