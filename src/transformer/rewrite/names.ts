/**
 * Reserved names of the generated code (`__traced`, `$s`, `$e`, `$site_N`), checked against every identifier
 * of the file: a user's own `$s` (in any scope) makes the generated one `$s_1`, so generated code can never
 * shadow, or be shadowed by, the user's names.
 */
import type * as ts from 'typescript';
import { NAMESPACE } from '../../contract';

type TS = typeof import('typescript');

export interface Names {
  /** The runtime namespace import (`__traced`). */
  readonly namespace: string;
  /** The per-call state (`$s`), one per traced body. */
  readonly state: string;
  /** The outer catch's binding (`$e`). */
  readonly error: string;
  /** The site record of the `index`-th site of the file, 1-based (`$site_1`). */
  site(index: number): string;
}

const BASE = { state: '$s', error: '$e', site: '$site_' } as const;

/** Every identifier text used in `file`, in any scope (also private names without `#`, which never clash). */
function identifiersOf(ts: TS, file: ts.SourceFile): Set<string> {
  const seen = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) seen.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return seen;
}

export function createNames(ts: TS, file: ts.SourceFile): Names {
  const taken = identifiersOf(ts, file);
  const free = (base: string): string => {
    if (!taken.has(base)) return base;
    for (let i = 1; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
  };
  const namespace = free(NAMESPACE);
  const state = free(BASE.state);
  const error = free(BASE.error);
  const sites = new Map<number, string>();
  return {
    namespace,
    state,
    error,
    site(index) {
      let name = sites.get(index);
      if (name === undefined) {
        name = free(`${BASE.site}${index}`);
        taken.add(name);
        sites.set(index, name);
      }
      return name;
    },
  };
}
