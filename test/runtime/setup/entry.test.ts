/**
 * The package entry as users load it: `node --import ts-traced/setup` (CommonJS and ES module apps) and
 * `node -r ts-traced/setup`, resolved through package.json `exports` to the build in dist/ (`npm test` builds
 * first; run `npm run build` before running this file alone).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttpReceiver, treeOf, type TraceReceiver } from '../../helpers/trace-receiver';
import { FIXTURES, ROOT, startChild } from './child';

let receiver: TraceReceiver;
const entry = suite('ts-traced/setup entry');
entry.before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist/setup.js')), 'dist/setup.js is missing: run `npm run build` first');
  receiver = await startHttpReceiver();
});
entry.before.each(() => {
  receiver.spans.length = 0;
});
entry.after(() => receiver.close());

const forms: [string, string[], string][] = [
  ['--import, CommonJS app', ['--import', 'ts-traced/setup'], 'plain.cjs'],
  ['--import, ES module app', ['--import', 'ts-traced/setup'], 'plain.mjs'],
  ['-r, CommonJS app', ['-r', 'ts-traced/setup'], 'plain.cjs'],
];
for (const [title, nodeArgs, app] of forms) {
  entry(`${title}: spans of the built package arrive over OTLP`, async () => {
    const result = await startChild(nodeArgs, join(FIXTURES, app), [], {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'entry',
    }).done;
    assert.equal([result.stdout, result.stderr, result.code], ['job 2\n', '', 0]);
    const spans = await receiver.waitForSpans(3);
    assert.is(spans.length, 3);
    assert.equal(treeOf(spans), { job: '(root)', step: 'job' });
  });
}
entry('loaded twice (-r and --import): set up once, so a bad value is reported once', async () => {
  const result = await startChild(['-r', 'ts-traced/setup', '--import', 'ts-traced/setup'], join(FIXTURES, 'plain.cjs'), [], {
    TRACED_EXPORTER: 'none',
    OTEL_PROPAGATORS: 'bogus',
  }).done;
  assert.is(result.stdout, 'job 2\n');
  assert.is(result.stderr.split('\n').filter(Boolean).length, 1, result.stderr);
});
entry.run();
