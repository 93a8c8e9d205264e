/**
 * The rules in effect and where each is written: the `include` and `functions.include` lists come from the plugin
 * options when they give them, else from traced.config.json (as `loadConfig` merges them), and each element is
 * located with `nodeAt`, as TT1xxx faults are, so a rule that selects nothing is reported at its line (TT1008).
 */
import type * as ts from 'typescript';
import type { ConfigRule, TracedConfig } from './types';
import { keyPath, nodeAt, valueAt } from './validate';

type TS = typeof import('typescript');

/** A config value, and the JSON it was read from: none for options given in code. */
export interface ConfigSource {
  readonly value: TracedConfig;
  readonly json?: { readonly file: ts.SourceFile; readonly root?: ts.Node };
}

const RULE_LISTS = [['include'], ['functions', 'include']] as const;

export function rulesOf(ts: TS, file: ConfigSource, options: ConfigSource): ConfigRule[] {
  return RULE_LISTS.flatMap((list) => {
    const origin = valueAt(options.value, list) === undefined ? 'file' : 'options';
    const { value, json } = origin === 'file' ? file : options;
    const patterns = valueAt(value, list);
    if (!Array.isArray(patterns)) return [];
    return patterns.map((pattern: string, index): ConfigRule => {
      const segments = [...list, index];
      const node = json && nodeAt(ts, json.root, segments);
      // Options given in code may differ from the tsconfig entry: only the element itself is a position.
      const written = node && ts.isStringLiteral(node) && node.text === pattern ? node : undefined;
      const start = written?.getStart(json!.file) ?? 0;
      const at = written && { file: json!.file, start, length: written.getEnd() - start };
      return { path: keyPath(segments), list: list.join('.') as ConfigRule['list'], index, pattern, origin, ...(at && { at }) };
    });
  });
}
