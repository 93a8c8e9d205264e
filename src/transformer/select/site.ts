/**
 * The selection's output: one plain record per traced function. `select/` decides whether and how to trace and
 * produces these; `rewrite/` only reads them. `traced inspect` and `traced codegen` use the same records.
 */
import type * as ts from 'typescript';
import type { SiteKind, TagValue } from '../../contract';
import type { TracedError } from '../diagnostics';

/** Why a function is traced, for `traced inspect` and diagnostics. */
export type SelectedBy =
  | { readonly by: 'decorator' }
  | { readonly by: 'jsdoc' }
  | { readonly by: 'config'; readonly rule: string };

export interface Site {
  /** The function-like node of the original (parse) tree: declaration, expression, arrow, method or accessor. */
  readonly node: ts.FunctionLikeDeclaration;
  /** Span operation name (`Orders.place`). */
  readonly name: string;
  readonly kind: SiteKind;
  /** `code.function` and `code.namespace`. */
  readonly fn: string;
  readonly ns?: string;
  /** `code.filepath` (relative to the project root, `/`-separated) and `code.lineno` (1-based). */
  readonly file: string;
  readonly line: number;
  readonly tags?: Readonly<Record<string, TagValue>>;
  /** Parameters recorded as tags, by position; checked against the signature (unknown names are a diagnostic). */
  readonly args?: readonly { readonly name: string; readonly index: number }[];
  readonly requireActive: boolean;
  /**
   * The `@traced({...})` options expression to pass as `site(record, dynamic)` when it holds run-time values
   * (`onStart`); only module-scope references are allowed in it (else a diagnostic).
   */
  readonly dynamic?: ts.Expression;
  /** True when `enter` must receive the call's arguments (`args` or `onStart` present). */
  readonly needsArguments: boolean;
  /** Decorators to drop from the emit (`@traced`, `@untraced` of ts-traced). */
  readonly decorators: readonly ts.Decorator[];
  readonly selectedBy: SelectedBy;
}

/** A function that a rule or a marker considered and did not trace, with the reason (for `traced inspect`). */
export interface SkippedSite {
  readonly node: ts.Node;
  readonly name: string;
  readonly reason: string;
}

/** A problem found while selecting, at the node to report it on; `selectSites` turns it into a diagnostic. */
export interface Problem {
  readonly node: ts.Node;
  readonly error: TracedError;
}
