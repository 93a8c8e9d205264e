/**
 * Shared inputs for the propagation tests: the ids RELIABILITY C1 writes as T and P, and a seeded random
 * generator so corpora and fuzzing are the same on every run.
 */
export const T = '0af7651916cd43dd8448eb211c80319c';
export const P = 'b7ad6b7169203331';
/** The ids of the W3C test suite. */
export const S = '12345678901234567890123456789012';
export const Q = '1234567890123456';
/** A valid version-00 traceparent, sampled. */
export const TP = `00-${T}-${P}-01`;

/** mulberry32: small, fast, seeded; good enough to pick mutations. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rejected traceparent values, by RELIABILITY case (and the W3C suite's own strings). */
export const REJECTED_TRACEPARENTS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['C1.1 version ff', [`ff-${T}-${P}-01`, `ff-${S}-${Q}-01`]],
  ['C1.2 version 00 with trailing data', [`${TP}-extra`, `${TP}.`, `${TP}-what-the-future-will-be-like`, `${TP}-`]],
  ['C1.3 future version followed by something other than "-"', [`cc-${T}-${P}-01.what-the-future-will-be-like`, `cc-${T}-${P}-01x`]],
  ['C1.4 all-zero ids', [`00-00000000000000000000000000000000-${P}-01`, `00-${T}-0000000000000000-01`, `cc-${T}-0000000000000000-01`]],
  ['C1.5 uppercase hex', ['00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01', `00-${T}-B7AD6B7169203331-01`, `00-${T}-${P}-0A`, `0A-${T}-${P}-01`]],
  [
    'C1.6 wrong field lengths',
    [
      `0-${T}-${P}-01`,
      `000-${T}-${P}-01`,
      `0000-${T}-${P}-01`,
      `00-0af7651916cd43dd8448eb211c80319-${P}-01`,
      `00-0af7651916cd43dd8448eb211c80319c0-${P}-01`,
      `00-${T}-b7ad6b716920333-01`,
      `00-${T}-b7ad6b71692033310-01`,
      `00-${T}-${P}-1`,
      `00-${T}-${P}-001`,
      `00-${T}-${P}`,
    ],
  ],
  [
    'C1.7 illegal characters',
    [
      `.0-${T}-${P}-01`,
      `0.-${T}-${P}-01`,
      `00-.af7651916cd43dd8448eb211c80319c-${P}-01`,
      `00-${T}-.7ad6b7169203331-01`,
      `00-${T}-${P}-.0`,
      `00-${T}-${P}-0.`,
      `00-0af7651916cd43dd8448eb211c8031zz-${P}-01`,
      `00-${T}-${P}-0\u00c3\u00a9`,
      `00-${T}-${P}-0\u00e9`,
      `00_${T}_${P}_01`,
      `00-${T.slice(0, 16)} ${T.slice(17)}-${P}-01`,
      `00-${T}-${P}-01\u0000`,
      `00-${T}-${P}-01\r\n`,
    ],
  ],
  ['C1.8 empty and garbage', ['', ' ', '\t', 'invalid!', '-', '---', '00---', `00--${P}-01`, `00-${T}--01`, `00-${T}-${P}-`, 'x'.repeat(55)]],
  ['C1.9 two headers joined by the HTTP parser', [`${TP}, ${TP}`, `${TP},${TP}`, `00-${T}-${P}-01, 00-${S}-${Q}-01`, `cc-${T}-${P}-01-x, ${TP}`]],
  ['C1.12 oversized', [`00-${'a'.repeat(65_536)}`, `cc-${T}-${P}-01-${'x'.repeat(600)}`]],
];


export const B3T = '80f198ee56343ba864fe8b2a57d3eff7';
export const B3S = 'e457b5a2e4d86bd1';

/** Rejected `b3` values (C1.21 and more). */
export const REJECTED_B3 = [
  'abc123-e457b5a2e4d86bd1',
  '80f198ee56343ba864fe8b2a57d3eff7-abc123',
  '00000000000000000000000000000000-e457b5a2e4d86bd1',
  '0000000000000000-e457b5a2e4d86bd1',
  `${B3T}-0000000000000000`,
  `${B3T}-${B3S}-2`,
  `${B3T}-${B3S}-`,
  `${B3T}-${B3S}-1-`,
  `${B3T}-${B3S}-1-05e3ac9a4f6e3b9`,
  `${B3T}-${B3S}-1-05e3ac9a4f6e3b90-x`,
  `${B3T}-${B3S}-1-zze3ac9a4f6e3b90`,
  `${B3T.toUpperCase()}-${B3S}-1`,
  `${B3T}0-${B3S}`,
  `${B3T}-${B3S}0`,
  `${B3T}_${B3S}`,
  `${B3T} -${B3S}`,
  '-',
  '',
  '--',
  '2',
  'true',
  `${B3T}-${B3S}-1${'x'.repeat(100)}`,
] as const;

/** Rejected `uber-trace-id` values (C1.23 and more). */
export const REJECTED_UBER = [
  'invalid!',
  '%ZZ',
  'abc%G:123:0:01',
  '%',
  '%3',
  '1:2:3',
  '1:2:3:4:5',
  `0:${P}:0:1`,
  `${T}:0:0:1`,
  `${T}:${P}:0:zz`,
  `${T}:${P}:0:001`,
  `${T}:${P}:0:`,
  `${T}:${P}::1`,
  `${T}:${P}:x:1`,
  `${T}:${P}:${'1'.repeat(17)}:1`,
  `${T}0:${P}:0:1`,
  `${T}:${P}0:0:1`,
  `:${P}:0:1`,
  `${T}::0:1`,
  `${T}-${P}-0-1`,
  `${T}%3A${P}%3A0%3Azz`,
  `${T}:${P}:0:1%`,
  `${T}:${P}:0:1${' '.repeat(200)}x`,
  '',
  ':::',
] as const;

/** Valid values of every header the extractors read: the starting points of the mutations. */
export const SEEDS: Readonly<Record<string, readonly string[]>> = {
  traceparent: [TP, `00-${T}-${P}-00`, `cc-${T}-${P}-03-future`],
  tracestate: ['rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'a@b=1, c=2', `k=${'v'.repeat(200)}`],
  baggage: ['userId=Am%C3%A9lie,k=v;p=1', 'a=1, b = 2 ;q', '__proto__=x'],
  b3: [`${B3T}-${B3S}-1-05e3ac9a4f6e3b90`, '463ac35c9f6413ad-e457b5a2e4d86bd1-d', '0'],
  'x-b3-traceid': [B3T, '463ac35c9f6413ad'],
  'x-b3-spanid': [B3S],
  'x-b3-sampled': ['1', 'false'],
  'x-b3-flags': ['1'],
  'uber-trace-id': [`${T}:${P}:0:1`, `${T}%3A${P}%3A0%3A1`, 'abc:def:0:3'],
  'uberctx-k': ['v%20x', 'Am%C3%A9lie'],
};
const NAMES = Object.keys(SEEDS);
const INSERTS = [',', ';', '=', '@', '%', '\t', ' ', '-', ':', '\r\n', '\u0000', '\u00e9', '\ud800', '%ZZ', '%C3', ', '];

export function mutate(value: string, random: () => number): string {
  const at = Math.floor(random() * (value.length + 1));
  switch (Math.floor(random() * 8)) {
    case 0: {
      const code = random() < 0.5 ? Math.floor(random() * 0x80) : Math.floor(random() * 0x10000);
      return value.slice(0, at) + String.fromCharCode(code) + value.slice(at + 1);
    }
    case 1:
      return value.slice(0, at);
    case 2:
      return `${value}${random() < 0.5 ? ', ' : ','}${value}`;
    case 3:
      return value.slice(0, at) + INSERTS[Math.floor(random() * INSERTS.length)] + value.slice(at);
    case 4:
      return value.slice(0, at) + value.slice(at + 1);
    case 5:
      return random() < 0.5 ? value.toUpperCase() : value.slice(0, at) + value.charAt(at).toUpperCase() + value.slice(at + 1);
    case 6:
      return value.slice(0, at) + value.slice(at, at + 5).repeat(1 + Math.floor(random() * 300)) + value.slice(at + 5);
    default:
      return value.slice(at) + value.slice(0, at);
  }
}

/** Seeded fuzzing (C1.26): headers with 1-3 values mutated (1-3 times each), sometimes duplicated, renamed or wrapped. */
export function mutatedCarrier(random: () => number): { carrier: unknown; values: Record<string, string> } {
  const values: Record<string, string> = {};
  for (const name of NAMES) if (random() < 0.7) values[name] = SEEDS[name][Math.floor(random() * SEEDS[name].length)];
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const name = NAMES[Math.floor(random() * NAMES.length)];
    let value = values[name] ?? SEEDS[name][0];
    for (let m = 1 + Math.floor(random() * 3); m > 0; m--) value = mutate(value, random);
    values[name] = value;
  }
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const key = random() < 0.1 ? name.toUpperCase() : name;
    record[key] = random() < 0.1 ? [value, value] : value;
  }
  const shape = random();
  if (shape < 0.05) return { carrier: new Map(Object.entries(record)), values };
  if (shape < 0.1) {
    try {
      return { carrier: new Headers(record as Record<string, string>), values };
    } catch {
      // Headers refuses some of these values itself; the record form still goes through.
    }
  }
  return { carrier: record, values };
}

