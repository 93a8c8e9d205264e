/**
 * Default values of every config key, in one object (documented with `@default` in types.ts and in
 * traced.schema.json).
 */
import type { ResolvedConfig } from './types';

export const DEFAULTS = {
  enabled: true,
  include: undefined,
  exclude: [],
  functions: { include: undefined, exclude: [] },
  kinds: ['function', 'method', 'arrow', 'expression'],
  async: ['sync', 'async', 'generator', 'asyncGenerator'],
  exportedOnly: false,
  requireActiveTrace: true,
  tags: {},
} as const satisfies Omit<ResolvedConfig, 'baseDir' | 'configFile' | 'rules'>;

/** The configuration in effect without any file or option: markers select, rules select nothing. */
export function defaultConfig(baseDir: string): ResolvedConfig {
  return { ...DEFAULTS, baseDir, rules: [] };
}
