import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';

/** A stand-in for stdout that keeps what is written. */
function capture(isTTY: boolean): { isTTY: boolean; text: string[]; write(t: string): boolean } {
  return {
    isTTY,
    text: [],
    write(t) {
      this.text.push(t);
      return true;
    },
  };
}

describe('logs: readable lines in a terminal, JSON lines otherwise', () => {
  it('not a terminal: one JSON object per line, as collectors read them', () => {
    const out = capture(false);
    createLogger('info', 'api', out).info(
      { status: 200, route: '/v1/keys', token: 'psk_top', agent: { secret: 'psk_nested' } },
      'request',
    );
    assert.equal(out.text.length, 1);
    const entry = JSON.parse(out.text[0]!) as Record<string, unknown>;
    assert.deepEqual(
      [entry.level, entry.name, entry.msg, entry.status, entry.route],
      [30, 'api', 'request', 200, '/v1/keys'],
    );
    assert.deepEqual(
      [entry.token, entry.agent],
      ['[redacted]', { secret: '[redacted]' }],
      'secrets at the top level and nested',
    );
    assert.ok(out.text[0]!.endsWith('}\n'));
  });

  it('a terminal: one line with time, level, logger, message and the fields; an error with its stack; secrets still redacted', () => {
    const out = capture(true);
    const log = createLogger('debug', 'api', out);
    log.info(
      { status: 200, route: '/v1/keys', principal: 'key:abc', note: 'two words', agent: { token: 'psk_secret' } },
      'request',
    );
    log.error({ err: new Error('boom') }, 'request failed');
    const [line, failure] = out.text;
    assert.match(
      line!,
      /^\d\d:\d\d:\d\d\.\d{3} INFO  api: request status=200 route=\/v1\/keys principal=key:abc note="two words" agent={"token":"\[redacted\]"}\n$/,
    );
    assert.doesNotMatch(out.text.join(''), /psk_secret|^\{/m);
    const [first, ...stack] = failure!.trimEnd().split('\n');
    assert.match(first!, / ERROR api: request failed err="Error: boom"$/);
    assert.ok(stack.length > 0 && stack.every((l) => l.startsWith('    at ')), failure);
  });
});
