/**
 * Reads the tracing set-up from environment variables, with OpenTelemetry's names and meanings
 * (opentelemetry.io "SDK environment variables") plus `TRACED_*` for what is ts-traced's own. Pure: no I/O, no
 * OpenTelemetry import. A bad value never throws: it becomes one problem line naming the variable, the value and
 * what is accepted, and the default is used for that part.
 */
import { PROPAGATOR_NAMES, type PropagatorName } from '../otel/names';

export const TRACED_EXPORTERS = ['console', 'file', 'otel', 'none'] as const;
export const OTEL_EXPORTERS = ['otlp', 'zipkin', 'console', 'none'] as const;
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export type OtelExporter = Exclude<(typeof OTEL_EXPORTERS)[number], 'none'>;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
export type SamplerName = (typeof SAMPLERS)[number];

export interface SetupConfig {
  /** `console`/`file`: the development tracer; `otel`: OpenTelemetry; `none`: tracing off. */
  readonly mode: 'console' | 'file' | 'otel' | 'none';
  readonly file: string;
  readonly serviceName: string | undefined;
  readonly exporters: readonly OtelExporter[];
  readonly otlpProtocol: OtlpProtocol;
  /** Full URL of the traces endpoint (gRPC: the collector address). */
  readonly otlpEndpoint: string;
  readonly zipkinEndpoint: string;
  readonly sampler: SamplerName;
  /** The ratio of the `traceidratio` samplers. */
  readonly samplerRatio: number;
  readonly propagators: readonly PropagatorName[];
  /** `all`, `none`, or library names. */
  readonly clients: 'all' | 'none' | readonly string[];
}

export interface SetupEnv {
  readonly config: SetupConfig;
  /** One line per bad variable, ready to print. */
  readonly problems: readonly string[];
}

export const DEFAULT_FILE = 'traced-spans.jsonl';
const OTLP_HTTP_DEFAULT = 'http://localhost:4318';
const OTLP_GRPC_DEFAULT = 'http://localhost:4317';
const ZIPKIN_DEFAULT = 'http://localhost:9411/api/v2/spans';

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value, trimmed; unset and blank are the same (OTel: an empty value means unset). */
function get(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function problem(name: string, value: string, expected: string, fallback: string): string {
  return `ts-traced: ${name}=${JSON.stringify(value)} is not valid (expected ${expected}); ${fallback}.`;
}

/**
 * A comma list whose items must be in `allowed`; unknown items are reported together and left out. When none is
 * left, `whenNoneKept` says what happens instead (default: nothing of that kind).
 */
function list<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  problems: string[],
  whenNoneKept?: string,
): T[] | undefined {
  const value = get(env, name);
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const kept = [...new Set(items.filter((i): i is T => allowed.includes(i as T)))];
  const unknown = items.filter((i) => !allowed.includes(i as T));
  if (unknown.length > 0) {
    const fallback = kept.length === 0 && whenNoneKept !== undefined ? whenNoneKept : `${unknown.join(', ')} left out`;
    problems.push(problem(name, value, `a comma list of ${allowed.join(', ')}`, fallback));
  }
  return kept;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], problems: string[], fallback: T): T {
  const value = get(env, name);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase() as T;
  if (allowed.includes(lower)) return lower;
  problems.push(problem(name, value, `one of ${allowed.join(', ')}`, `using ${fallback}`));
  return fallback;
}

function url(env: Env, name: string, problems: string[]): string | undefined {
  const value = get(env, name);
  if (value === undefined) return undefined;
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  problems.push(problem(name, value, 'an http:// or https:// URL', 'using the default endpoint'));
  return undefined;
}

/** OTLP/HTTP: the signal path is appended to the base endpoint, never to the traces-specific one. */
function otlpEndpoint(env: Env, protocol: OtlpProtocol, problems: string[]): string {
  const specific = url(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', problems);
  if (specific !== undefined) return specific;
  const base = url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', problems);
  if (protocol === 'grpc') return base ?? OTLP_GRPC_DEFAULT;
  return `${(base ?? OTLP_HTTP_DEFAULT).replace(/\/+$/, '')}/v1/traces`;
}

function ratio(env: Env, sampler: SamplerName, problems: string[]): number {
  const value = get(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (value === undefined || !sampler.endsWith('traceidratio')) return 1;
  const n = Number(value);
  if (/^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) && n >= 0 && n <= 1) return n;
  problems.push(problem('OTEL_TRACES_SAMPLER_ARG', value, 'a number from 0 to 1', 'sampling every trace (1)'));
  return 1;
}

/**
 * `TRACED_EXPORTER` decides; else `TRACED_FILE` means the file; else an `OTEL_TRACES_EXPORTER` means OpenTelemetry;
 * else the console tree while developing, and OpenTelemetry's default (OTLP) in production.
 */
function decideMode(env: Env, problems: string[], otelNamed: boolean): SetupConfig['mode'] {
  if (get(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return 'none';
  const traced = get(env, 'TRACED_EXPORTER');
  if (traced !== undefined) {
    const mode = traced.toLowerCase() as SetupConfig['mode'];
    if (TRACED_EXPORTERS.includes(mode)) return mode;
    problems.push(problem('TRACED_EXPORTER', traced, `one of ${TRACED_EXPORTERS.join(', ')}`, 'tracing is off'));
    return 'none';
  }
  if (get(env, 'TRACED_FILE') !== undefined) return 'file';
  if (otelNamed) return 'otel';
  return env.NODE_ENV === 'production' ? 'otel' : 'console';
}

/** The set-up `env` describes, and the problems found in it. */
export function readSetupEnv(env: Env): SetupEnv {
  const problems: string[] = [];
  const named = list(env, 'OTEL_TRACES_EXPORTER', OTEL_EXPORTERS, problems, 'spans are not exported');
  const exporters = named?.includes('none') ? [] : (named?.filter((e): e is OtelExporter => e !== 'none') ?? ['otlp']);
  const decided = decideMode(env, problems, named !== undefined);
  const mode = decided === 'otel' && exporters.length === 0 ? 'none' : decided;
  const otlpProtocol = oneOf(
    env,
    get(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL',
    OTLP_PROTOCOLS,
    problems,
    'http/protobuf',
  );
  const sampler = oneOf(env, 'OTEL_TRACES_SAMPLER', SAMPLERS, problems, 'parentbased_always_on');
  const namedPropagators = list(env, 'OTEL_PROPAGATORS', [...PROPAGATOR_NAMES, 'none'], problems, 'using tracecontext, baggage');
  // Nothing valid named: the default, as OpenTelemetry's SDK does (a blank list would turn propagation off).
  const propagators = namedPropagators?.length === 0 ? undefined : namedPropagators;
  const clientsValue = get(env, 'TRACED_CLIENTS');
  const clients =
    clientsValue === undefined || clientsValue.toLowerCase() === 'all'
      ? 'all'
      : clientsValue.toLowerCase() === 'none'
        ? 'none'
        : clientsValue.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    problems,
    config: {
      mode,
      file: get(env, 'TRACED_FILE') ?? DEFAULT_FILE,
      serviceName: get(env, 'OTEL_SERVICE_NAME'),
      exporters,
      otlpProtocol,
      otlpEndpoint: otlpEndpoint(env, otlpProtocol, problems),
      zipkinEndpoint: url(env, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', problems) ?? ZIPKIN_DEFAULT,
      sampler,
      samplerRatio: ratio(env, sampler, problems),
      propagators: propagators?.includes('none')
        ? []
        : ((propagators as PropagatorName[] | undefined) ?? ['tracecontext', 'baggage']),
      clients,
    },
  };
}
