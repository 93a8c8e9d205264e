/**
 * Every problem the transformer reports, in one table: `TT` + 4 digits, grouped by phase (TT1xxx config,
 * TT2xxx selection, TT3xxx rewrite, TT9xxx internal). Each template says what is wrong and what to do.
 *
 * Deep code throws (or returns) a `TracedError`; the one place that owns a source file turns it into a
 * `ts.Diagnostic` with `toDiagnostic`. TypeScript wants a numeric code, so `TTabcd` is
 * reported as `TS9abcd` and the message text starts with the `TT` code: `error TS92001: TT2001: ...`.
 */
import type * as ts from 'typescript';

type Template = (data: any) => string;

const list = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

/** The code table. Rewrite codes (TT3xxx) go in their own block below TT2xxx. */
const TEMPLATES = {
  // TT1xxx: configuration (traced.config.json and the tsconfig plugin options)
  TT1001: (d: { reason: string }) => `invalid JSON: ${d.reason}. Fix the syntax (comments and trailing commas are allowed).`,
  TT1002: (d: { path: string; expected: string }) => `${d.path}: must be ${d.expected}.`,
  TT1003: (d: { path: string; suggestion?: string }) =>
    `${d.path}: unknown key${d.suggestion ? ` (did you mean "${d.suggestion}"?)` : ''}. Remove it; the keys are listed in ts-traced/schema.json.`,
  TT1004: (d: { file: string; from: string }) =>
    `config file not found: ${d.file}, named by "config" in ${d.from}. Fix the path or remove the option.`,
  TT1005: (d: { file: string; from?: string; reason: string }) =>
    `cannot read config file ${d.file}${d.from ? `, named by "config" in ${d.from}` : ''}: ${d.reason}.`,
  TT1006: (d: { path: string; reason: string }) => `${d.path}: invalid glob pattern: ${d.reason}.`,
  TT1007: (_: object) => `the config file must hold a JSON object ({ ... }).`,
  TT1008: (d: { path: string; finding: string }) =>
    `${d.path}: ${d.finding}. It traces nothing: fix it or remove it.`,
  TT1009: (d: { from: string; reason: string }) =>
    `cannot read ${d.from}: ${d.reason}. Give them as plain values: a getter or Proxy trap that throws cannot be read.`,

  // TT2xxx: selection (@traced, /** @traced */, config rules)
  TT2001: (d: { marker: string }) =>
    `${d.marker} on an overload signature: put it on the implementation (the signature that has a body).`,
  TT2002: (d: { marker: string }) =>
    `${d.marker} on an abstract method: put it on the implementations in the subclasses.`,
  TT2003: (d: { marker: string }) =>
    `${d.marker} in an ambient context ("declare" or a .d.ts file) has no body to trace: remove it.`,
  TT2004: (d: { marker: string }) =>
    `${d.marker} on a constructor is not supported: trace a method the constructor calls instead.`,
  TT2005: (d: { marker: string; what: string }) =>
    `${d.marker} on ${d.what}: it applies to functions, methods, accessors and properties or variables holding an arrow function or function expression. Remove it.`,
  TT2006: (d: { name: string; params: readonly string[] }) =>
    `args: "${d.name}" is not a parameter of this function (${d.params.length ? `parameters: ${list(d.params)}` : 'it has no named parameters'}). Use a parameter's name.`,
  TT2007: (d: { name: string; form: string }) =>
    `args: "${d.name}" is ${d.form}; only plain named parameters can be recorded. Name the whole parameter instead, or record it from onStart.`,
  TT2008: (d: { what: string; expected: string }) =>
    `${d.what} must be ${d.expected} written in place, because it is read at compile time. Write the value itself, or compute it in onStart.`,
  TT2009: (d: { option: string; known: readonly string[] }) =>
    `unknown @traced option "${d.option}": the options are ${list(d.known)}.`,
  TT2010: (d: { names: readonly string[] }) =>
    `@traced options refer to ${list(d.names)}, which ${d.names.length > 1 ? 'are' : 'is'} not at module scope: the options are evaluated once when the module loads. Move ${d.names.length > 1 ? 'them' : 'it'} to module scope.`,
  TT2011: (_: object) => `@traced and @untraced on the same function: keep one of them.`,

  // TT3xxx: rewrite (constructs that cannot be traced faithfully; the function is left untraced)
  TT3001: (_: object) =>
    `"await using" in a traced function: its disposal awaits with no "await" to trace, so the span's context would leak. The function is left untraced; move the "await using" block into a function of its own, or dispose with an explicit await in try/finally.`,
  TT3002: (d: { name: string }) =>
    `function "${d.name}" is declared twice in this body (as a function and a var, or as two functions): tracing wraps the body in try/catch, where that is a SyntaxError. The function is left untraced; rename one of them.`,
  TT3003: (d: { index: number }) =>
    `"args" and "onStart" need the call's arguments, but parameter ${d.index + 1} of this arrow function is destructured and an arrow function has no "arguments". The function is left untraced; take the parameter whole and destructure it in the body.`,
  TT3004: (_: object) =>
    `this file has no import or export and compiles to an ES module: importing the runtime would turn the script into a module. Its functions are left untraced; add "export {};" to the file, or compile it as CommonJS.`,
  TT3005: (_: object) =>
    `"with" statement in a traced function: the names the tracing code uses would be looked up on the "with" object first. The function is left untraced; remove the "with" statement.`,

  // TT9xxx: internal
  TT9000: (d: { reason: string }) =>
    `internal error, function left untraced: ${d.reason}. Please report it with this function's source.`,
  TT9001: (d: { what: string; expected: number; actual: number }) =>
    `internal error, function left untraced: the rewrite wrapped ${d.actual} of ${d.expected} "${d.what}" nodes. Please report it with this function's source.`,
} satisfies Record<string, Template>;

export type TracedCode = keyof typeof TEMPLATES;

/** Codes reported as warnings, which never fail a build; every other code is an error. */
const WARNINGS: ReadonlySet<TracedCode> = new Set<TracedCode>(['TT1008']);
export type TracedData<C extends TracedCode> = Parameters<(typeof TEMPLATES)[C]>[0];

/** The error type deep code throws; `message` is the template's text without the code. */
export class TracedError extends Error {
  override readonly name = 'TracedError';
  constructor(
    readonly code: TracedCode,
    message: string,
  ) {
    super(message);
  }
}

/** Builds the `TracedError` for `code` from its template. */
export function tracedError<C extends TracedCode>(code: C, data: TracedData<C>): TracedError {
  return new TracedError(code, (TEMPLATES[code] as Template)(data));
}

/** What a thrown value says, for a message. Never throws itself: the value may be a Proxy whose every trap throws. */
export function reasonOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'a value that cannot be printed';
  }
}

/** What an unexpected exception in a rewrite is reported as: itself when it is a `TracedError`, else TT9000. Never throws. */
export function internalError(error: unknown): TracedError {
  try {
    if (error instanceof TracedError) return error;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: not one of ours.
  }
  return tracedError('TT9000', { reason: reasonOf(error) });
}

/** `TT2001` → `92001`: the numeric code tsc prints as `TS92001`. */
export function numericCode(code: TracedCode): number {
  return 90000 + Number(code.slice(2));
}

/** The `TT` code of a diagnostic made here, or undefined for any other diagnostic. */
export function tracedCodeOf(diagnostic: ts.Diagnostic): TracedCode | undefined {
  const code = `TT${diagnostic.code - 90000}`;
  return diagnostic.code >= 91000 && diagnostic.code < 100000 && code in TEMPLATES ? (code as TracedCode) : undefined;
}

/** A span of source text to point at when there is no node. */
export interface TextSpan {
  readonly start: number;
  readonly length: number;
}

/**
 * A `ts.Diagnostic` (category Warning for the codes in WARNINGS, else Error) for `error` at `at` in `file`: a parse-tree node, or a text span.
 * A synthesized node is mapped back to its original; with none, the diagnostic has no position. Works for JSON
 * files too (`ts.parseJsonText` returns a SourceFile), so tsc prints `traced.config.json:4:5`.
 */
export function toDiagnostic(
  ts: typeof import('typescript'),
  file: ts.SourceFile | undefined,
  at: ts.Node | TextSpan | undefined,
  error: TracedError,
): ts.Diagnostic {
  let span: TextSpan | undefined;
  if (at && 'kind' in at) {
    const node = ts.getParseTreeNode(at);
    if (node && file) {
      const start = node.getStart(file);
      span = { start, length: node.getEnd() - start };
    }
  } else span = at;
  return {
    category: WARNINGS.has(error.code) ? ts.DiagnosticCategory.Warning : ts.DiagnosticCategory.Error,
    code: numericCode(error.code),
    file: span ? file : undefined,
    start: span?.start,
    length: span?.length,
    messageText: `${error.code}: ${error.message}`,
  };
}
