/**
 * What the W3C Trace Context suite's harness (w3c/trace-context test/test.py) reads from a callback, shared by the
 * replays of the suite against the propagation layer and against the example service.
 */
import * as assert from 'uvu/assert';

export type Header = readonly [string, string];

export interface Received {
  readonly traceId: string;
  readonly parentId: string;
  readonly tracestate: Map<string, string>;
  readonly tracestateText: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const DELIMITER = /[ \t]*,[ \t]*/;
const MEMBER = /^([a-z][_0-9a-z\-*/]{0,255}|[0-9a-z][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})(=)([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])$/;

/** The suite's trace id and parent id. */
export const S = '12345678901234567890123456789012';
export const Q = '1234567890123456';

/** `bar01=01,bar02=02,...`: the suite's tracestate members. */
export const bars = (from: number, to: number): string =>
  Array.from({ length: to - from + 1 }, (_, i) => `bar${String(from + i).padStart(2, '0')}=${String(from + i).padStart(2, '0')}`).join(',');

/** One callback's raw headers as the harness reads them: exactly one valid traceparent, and the tracestate. */
export function readCallback(raw: string[]): Received {
  const traceparents: string[] = [];
  const tracestate = new Map<string, string>();
  const texts: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'traceparent') traceparents.push(raw[i + 1]);
    if (name !== 'tracestate') continue;
    texts.push(raw[i + 1]);
    for (const member of raw[i + 1].split(DELIMITER)) {
      if (!member) continue;
      const m = MEMBER.exec(member);
      assert.ok(m, `~> the harness can read tracestate member ${JSON.stringify(member)}`);
      if (!tracestate.has(m![1])) tracestate.set(m![1], m![3]);
    }
  }
  assert.is(traceparents.length, 1, '~> exactly one traceparent');
  const m = TRACEPARENT.exec(traceparents[0]);
  assert.ok(m, `~> a valid traceparent: ${traceparents[0]}`);
  return { traceId: m![2], parentId: m![3], tracestate, tracestateText: texts.join(',') };
}
