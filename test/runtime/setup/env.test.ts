/**
 * readSetupEnv: OpenTelemetry's variable names and meanings, ts-traced's own, and one clear line per bad value.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readSetupEnv } from '../../../src/runtime/setup/env';

const read = suite('readSetupEnv');

read('nothing set: the console tree while developing, OTLP in production', () => {
  assert.is(readSetupEnv({}).config.mode, 'console');
  assert.is(readSetupEnv({ NODE_ENV: 'development' }).config.mode, 'console');
  const production = readSetupEnv({ NODE_ENV: 'production' });
  assert.is(production.config.mode, 'otel');
  assert.equal(production.config.exporters, ['otlp']);
  assert.is(production.config.otlpProtocol, 'http/protobuf', '~> OTel\'s default protocol');
  assert.is(production.config.otlpEndpoint, 'http://localhost:4318/v1/traces');
  assert.equal(production.problems, []);
});

read('an OTEL_TRACES_EXPORTER means OpenTelemetry, also while developing; a comma list keeps its order', () => {
  const { config } = readSetupEnv({ OTEL_TRACES_EXPORTER: ' zipkin , otlp ,console' });
  assert.is(config.mode, 'otel');
  assert.equal(config.exporters, ['zipkin', 'otlp', 'console']);
});

read('TRACED_EXPORTER decides over everything else; TRACED_FILE alone means the file', () => {
  assert.is(readSetupEnv({ TRACED_EXPORTER: 'console', OTEL_TRACES_EXPORTER: 'otlp', NODE_ENV: 'production' }).config.mode, 'console');
  assert.is(readSetupEnv({ TRACED_EXPORTER: 'OTEL' }).config.mode, 'otel');
  assert.is(readSetupEnv({ TRACED_EXPORTER: 'none' }).config.mode, 'none');
  const file = readSetupEnv({ TRACED_FILE: '/tmp/x.jsonl' }).config;
  assert.equal([file.mode, file.file], ['file', '/tmp/x.jsonl']);
  assert.is(readSetupEnv({ TRACED_EXPORTER: 'file' }).config.file, 'traced-spans.jsonl');
});

read('OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true turn tracing off', () => {
  assert.is(readSetupEnv({ OTEL_TRACES_EXPORTER: 'none' }).config.mode, 'none');
  assert.is(readSetupEnv({ OTEL_SDK_DISABLED: 'true', TRACED_EXPORTER: 'console' }).config.mode, 'none');
  assert.is(readSetupEnv({ OTEL_SDK_DISABLED: 'false' }).config.mode, 'console');
});

read('endpoints: the signal path is added to the base endpoint only; gRPC takes the address as it is', () => {
  assert.is(readSetupEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).config.otlpEndpoint, 'http://collector:4318/v1/traces');
  const specific = readSetupEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b:2/custom' });
  assert.is(specific.config.otlpEndpoint, 'https://b:2/custom');
  const grpc = readSetupEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' });
  assert.equal([grpc.config.otlpProtocol, grpc.config.otlpEndpoint], ['grpc', 'http://c:4317']);
  assert.is(readSetupEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).config.otlpEndpoint, 'http://localhost:4317');
  const tracesProtocol = readSetupEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' });
  assert.is(tracesProtocol.config.otlpProtocol, 'http/json', '~> the traces-specific variable wins');
});

read('samplers and their ratio', () => {
  const ratio = readSetupEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).config;
  assert.equal([ratio.sampler, ratio.samplerRatio], ['parentbased_traceidratio', 0.25]);
  assert.is(readSetupEnv({}).config.sampler, 'parentbased_always_on');
  const ignored = readSetupEnv({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'abc' });
  assert.equal(ignored.problems, [], '~> the argument of a sampler that takes none is not read');
});

read('propagators: names as OTel spells them, none, and the W3C default', () => {
  assert.equal(readSetupEnv({}).config.propagators, ['tracecontext', 'baggage']);
  assert.equal(readSetupEnv({ OTEL_PROPAGATORS: 'b3multi,jaeger' }).config.propagators, ['b3multi', 'jaeger']);
  assert.equal(readSetupEnv({ OTEL_PROPAGATORS: 'none' }).config.propagators, []);
});

read('TRACED_CLIENTS: all by default, none, or a list', () => {
  assert.is(readSetupEnv({}).config.clients, 'all');
  assert.is(readSetupEnv({ TRACED_CLIENTS: 'NONE' }).config.clients, 'none');
  assert.equal(readSetupEnv({ TRACED_CLIENTS: 'pg, ioredis' }).config.clients, ['pg', 'ioredis']);
});

read('each bad value is one line naming the variable, the value and what is accepted; defaults are used', () => {
  const cases: [Record<string, string>, RegExp, (c: ReturnType<typeof readSetupEnv>['config']) => unknown, unknown][] = [
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'abc' }, /^ts-traced: OTEL_TRACES_SAMPLER_ARG="abc" .*a number from 0 to 1/, (c) => c.samplerRatio, 1],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, /OTEL_TRACES_SAMPLER_ARG="1.5"/, (c) => c.samplerRatio, 1],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0x1' }, /OTEL_TRACES_SAMPLER_ARG="0x1"/, (c) => c.samplerRatio, 1],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER="sometimes" .*one of always_on, always_off, traceidratio/, (c) => c.sampler, 'parentbased_always_on'],
    [{ OTEL_PROPAGATORS: 'bogus' }, /OTEL_PROPAGATORS="bogus" .*tracecontext, baggage, b3, b3multi, jaeger, none.*using tracecontext, baggage/, (c) => c.propagators, ['tracecontext', 'baggage']],
    [{ OTEL_PROPAGATORS: 'tracecontext,xray' }, /OTEL_PROPAGATORS="tracecontext,xray"/, (c) => c.propagators, ['tracecontext']],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, /OTEL_EXPORTER_OTLP_ENDPOINT="not a url" .*http:\/\/ or https:\/\/ URL.*default endpoint/, (c) => c.otlpEndpoint, 'http://localhost:4318/v1/traces'],
    [{ OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'ftp://x' }, /OTEL_EXPORTER_ZIPKIN_ENDPOINT="ftp:\/\/x"/, (c) => c.zipkinEndpoint, 'http://localhost:9411/api/v2/spans'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' }, /OTEL_EXPORTER_OTLP_PROTOCOL="http\/xml" .*http\/protobuf, http\/json, grpc/, (c) => c.otlpProtocol, 'http/protobuf'],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, /OTEL_TRACES_EXPORTER="jaeger" .*otlp, zipkin, console, none.*spans are not exported/, (c) => c.mode, 'none'],
    [{ OTEL_TRACES_EXPORTER: 'otlp,bogus' }, /OTEL_TRACES_EXPORTER="otlp,bogus" .*bogus left out/, (c) => c.exporters, ['otlp']],
    [{ TRACED_EXPORTER: 'loud' }, /TRACED_EXPORTER="loud" .*console, file, otel, none.*tracing is off/, (c) => c.mode, 'none'],
  ];
  for (const [env, message, pick, expected] of cases) {
    const { config, problems } = readSetupEnv(env);
    const label = JSON.stringify(env);
    assert.is(problems.length, 1, `~> one line for ${label}`);
    assert.not.match(problems[0], /\n/);
    assert.match(problems[0], message, `~> the line for ${label}`);
    assert.equal(pick(config), expected, `~> what is used instead for ${label}`);
  }
});

read('blank values count as unset', () => {
  const { config, problems } = readSetupEnv({ OTEL_TRACES_EXPORTER: ' ', TRACED_EXPORTER: '', OTEL_TRACES_SAMPLER_ARG: '' });
  assert.is(config.mode, 'console');
  assert.equal(problems, []);
});
read.run();
