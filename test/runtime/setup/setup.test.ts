/**
 * `--import ts-traced/setup` in real child processes, configured only by environment variables, exporting with
 * the real OpenTelemetry exporters to collectors in this process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startGrpcReceiver, startHttpReceiver, treeOf, type ReceivedSpan, type TraceReceiver } from '../../helpers/trace-receiver';
import { serviceAvailable } from '../../helpers/services';
import { runApp, type ChildResult } from './child';

const APP_TREE = { handle: '(root)', work: 'handle', 'otel-inner': 'work' };
/** The app's two `work` calls share a name: compare the tree of names and count the spans. */
function assertAppTrace(spans: readonly ReceivedSpan[], service: string): void {
  assert.is(spans.length, 5, '~> handle, 2 × work, 2 × otel-inner');
  assert.equal(treeOf(spans), APP_TREE);
  assert.is(new Set(spans.map((s) => s.traceId)).size, 1, '~> one trace');
  assert.ok(spans.every((s) => s.service === service), '~> OTEL_SERVICE_NAME');
}

function assertAppRan(result: ChildResult): void {
  assert.is(result.stdout, 'result 6\n', '~> the app\'s own output is unchanged');
  assert.is(result.code, 0);
}

let http: TraceReceiver;
const otel = suite('setup: OTEL_* exporters');
otel.before(async () => {
  http = await startHttpReceiver();
});
otel.before.each(() => {
  http.spans.length = 0;
  http.contentTypes.length = 0;
});
otel.after(() => http.close());

otel('otlp over http/protobuf (the default protocol): the trace arrives when the app ends on its own', async () => {
  const result = await runApp('exit', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'svc-proto', OTEL_EXPORTER_OTLP_ENDPOINT: http.url }).done;
  assertAppRan(result);
  assert.is(result.stderr, '');
  assertAppTrace(await http.waitForSpans(5), 'svc-proto');
  assert.ok(http.spans.every((s) => s.via === 'otlp-proto'));
});

otel('otlp over http/json with the traces-specific endpoint', async () => {
  const result = await runApp('exit', {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_SERVICE_NAME: 'svc-json',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${http.url}/v1/traces`,
  }).done;
  assertAppRan(result);
  assertAppTrace(await http.waitForSpans(5), 'svc-json');
  assert.ok(http.spans.every((s) => s.via === 'otlp-json'));
});

otel('otlp over grpc', async () => {
  const grpc = await startGrpcReceiver();
  try {
    const result = await runApp('exit', {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_SERVICE_NAME: 'svc-grpc',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${grpc.url}`,
    }).done;
    assertAppRan(result);
    assertAppTrace(await grpc.waitForSpans(5), 'svc-grpc');
  } finally {
    await grpc.close();
  }
});

otel('zipkin and otlp at once (a comma list), production default sampler', async () => {
  const result = await runApp('exit', {
    NODE_ENV: 'production',
    OTEL_TRACES_EXPORTER: 'zipkin,otlp',
    OTEL_SERVICE_NAME: 'svc-both',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_ENDPOINT: http.url,
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${http.url}/api/v2/spans`,
  }).done;
  assertAppRan(result);
  const spans = await http.waitForSpans(10);
  assertAppTrace(spans.filter((s) => s.via === 'zipkin'), 'svc-both');
  assertAppTrace(spans.filter((s) => s.via === 'otlp-json'), 'svc-both');
});

otel('always_off sends nothing; the app runs the same', async () => {
  const result = await runApp('exit', {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_TRACES_SAMPLER: 'always_off',
    OTEL_EXPORTER_OTLP_ENDPOINT: http.url,
  }).done;
  assertAppRan(result);
  await new Promise((r) => setTimeout(r, 200));
  assert.is(http.spans.length, 0);
});
otel.run();

const signals = suite('setup: flushing on signals');
signals.before(async () => {
  http = await startHttpReceiver();
});
signals.before.each(() => {
  http.spans.length = 0;
});
signals.after(() => http.close());

const serving = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'svc-signal' };

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  signals(`${signal} with no handler of the app's: spans are flushed, then the process ends by ${signal}`, async () => {
    const child = runApp('serve', { ...serving, OTEL_EXPORTER_OTLP_ENDPOINT: http.url });
    await child.waitFor('ready');
    child.process.kill(signal);
    const result = await child.done;
    assert.is(result.signal, signal, '~> killed by the signal, as without ts-traced');
    assertAppTrace(await http.waitForSpans(5), 'svc-signal');
  });
}

signals('SIGTERM with the app\'s own handler: spans are flushed and the app decides when to exit', async () => {
  const child = runApp('own-handler', { ...serving, OTEL_EXPORTER_OTLP_ENDPOINT: http.url });
  await child.waitFor('ready');
  child.process.kill('SIGTERM');
  const result = await child.done;
  assert.is(result.stdout, 'result 6\nready\napp handler\n');
  assert.equal([result.code, result.signal], [0, null], '~> the app\'s own exit');
  assertAppTrace(await http.waitForSpans(5), 'svc-signal');
});
for (const protocol of ['http/protobuf', 'http/json']) {
  signals(`process.exit() right after the work: spans still queued are sent synchronously (OTLP ${protocol})`, async () => {
    const result = await runApp('process-exit', { ...serving, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_ENDPOINT: http.url }).done;
    assertAppRan(result);
    assertAppTrace(await http.waitForSpans(5), 'svc-signal');
    assert.ok(http.spans.every((s) => s.via === (protocol === 'http/json' ? 'otlp-json' : 'otlp-proto')));
  });
}
signals.run();

const problems = suite('setup: bad values');
problems('each bad value prints one line naming it; the app\'s output and exit code are unchanged', async () => {
  const cases: Record<string, string>[] = [
    { TRACED_EXPORTER: 'none', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'abc' },
    { TRACED_EXPORTER: 'none', OTEL_PROPAGATORS: 'bogus' },
    { TRACED_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' },
    { OTEL_TRACES_EXPORTER: 'bogus' },
    { TRACED_EXPORTER: 'loud' },
    { TRACED_EXPORTER: 'none', OTEL_TRACES_SAMPLER: 'sometimes' },
    { TRACED_FILE: join(tmpdir(), `ts-traced-missing-${process.pid}`, 'spans.jsonl') },
  ];
  for (const env of cases) {
    const result = await runApp('exit', env).done;
    const bad = Object.keys(env).find((k) => k !== 'TRACED_EXPORTER' || env[k] === 'loud')!;
    const lines = result.stderr.split('\n').filter(Boolean);
    assert.is(lines.length, 1, `~> one line for ${JSON.stringify(env)}: ${result.stderr}`);
    assert.ok(lines[0].startsWith(`ts-traced: ${bad === 'OTEL_TRACES_SAMPLER' && env.OTEL_TRACES_SAMPLER_ARG ? 'OTEL_TRACES_SAMPLER_ARG' : bad}="`), lines[0]);
    assertAppRan(result);
  }
});
problems('a bad sampler argument still exports, with the default ratio', async () => {
  const receiver = await startHttpReceiver();
  try {
    const result = await runApp('exit', {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_SERVICE_NAME: 'svc-ratio',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '2',
    }).done;
    assertAppRan(result);
    assert.match(result.stderr, /^ts-traced: OTEL_TRACES_SAMPLER_ARG="2" is not valid \(expected a number from 0 to 1\); sampling every trace \(1\)\.\n$/);
    assertAppTrace(await receiver.waitForSpans(5), 'svc-ratio');
  } finally {
    await receiver.close();
  }
});
problems.run();

const clients = suite('setup: TRACED_CLIENTS');
clients('the client wrappers are installed: a Redis command is a child of the traced function', async () => {
  if (!(await serviceAvailable('redis'))) return;
  const receiver = await startHttpReceiver();
  try {
    const env = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'svc-redis',
      TRACED_CLIENTS: 'ioredis',
    };
    const result = await runApp('', env, 'redis-app.ts').done;
    assert.equal([result.stdout, result.stderr, result.code], ['value v\n', '', 0]);
    const spans = await receiver.waitForSpans(5);
    const tree = spans.map((s) => `${s.name} < ${treeOf(spans)[s.name]}`).sort();
    assert.equal(tree, ['DEL < (root)', 'GET < lookup', 'QUIT < (root)', 'SET < lookup', 'lookup < (root)']);
  } finally {
    await receiver.close();
  }
});
clients('a library that cannot be traced is one line; the others are still installed', async () => {
  const result = await runApp('exit', { TRACED_EXPORTER: 'console', TRACED_CLIENTS: 'pg,nosuch' }).done;
  assertAppRan(result);
  const lines = result.stderr.split('\n').filter((l) => l.startsWith('ts-traced:'));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^ts-traced: TRACED_CLIENTS names nosuch, which is not traced \(no client wrapper for "nosuch"; known: pg, /);
});
clients.run();

const dev = suite('setup: development tracers');
dev('with nothing set, a development run prints the trace tree on stderr, stdout untouched', async () => {
  const result = await runApp('exit', {}).done;
  assertAppRan(result);
  assert.match(result.stderr, /handle/);
  assert.match(result.stderr, /work/);
});
dev('TRACED_FILE writes JSON lines, one finished span each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-traced-setup-'));
  try {
    const file = join(dir, 'spans.jsonl');
    const result = await runApp('exit', { TRACED_FILE: file }).done;
    assertAppRan(result);
    assert.is(result.stderr, '');
    const names = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).name).sort();
    assert.equal(names, ['handle', 'work', 'work'], '~> the OTel API has no SDK here: its spans are no-ops');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
dev('TRACED_FILE on SIGTERM: the batch waiting for its timer is written before the process ends by the signal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-traced-setup-'));
  try {
    const file = join(dir, 'spans.jsonl');
    const child = runApp('serve', { TRACED_FILE: file });
    await child.waitFor('ready');
    child.process.kill('SIGTERM');
    const result = await child.done;
    assert.is(result.signal, 'SIGTERM');
    assert.is(readFileSync(file, 'utf8').trim().split('\n').length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
dev('OTEL_SDK_DISABLED=true: no tracer, nothing printed', async () => {
  const result = await runApp('exit', { OTEL_SDK_DISABLED: 'true' }).done;
  assertAppRan(result);
  assert.is(result.stderr, '');
});
dev.run();
