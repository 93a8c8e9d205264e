/**
 * Which config rules select anything (C8.98). `selectSites` notes, per file, the rules that matched and what
 * they selected; `unmatchedRules` folds the notes of every file of a program into one TT1008 warning per rule
 * that selected no function, at the rule's line. Only a caller that sees every file can say "nothing": tspc (the
 * Program), `traced inspect` and `traced codegen`. Per-file pipelines (transpileModule, ts-jest, the register
 * hook, the bundler plugin) see one file at a time and report nothing.
 */
import picomatch from 'picomatch';
import type * as ts from 'typescript';
import type { ConfigRule, ResolvedConfig } from '../config/types';
import { keyPath } from '../config/validate';
import { toDiagnostic, tracedError } from '../diagnostics';
import type { SiteName } from './naming';
import type { RuleVerdict } from './rules';

type TS = typeof import('typescript');

/** What the rules did in one file. Rules are named by key path (`include[0]`, `functions.include[1]`). */
export interface RuleUse {
  /** The file, relative to the project root. */
  readonly file: string;
  /** The `include` globs that match the file. */
  readonly modules: readonly string[];
  /** The rules that select a function of the file (a marker on it aside: the rule matches it either way). */
  readonly selecting: ReadonlySet<string>;
  /** `functions.include` patterns that matched a name the rules left out, each with the first such function and why. */
  readonly leftOut: ReadonlyMap<string, string>;
}

/** The note `selectSites` fills in while it walks a file. */
export interface RuleUseNotes extends RuleUse {
  readonly selecting: Set<string>;
  readonly leftOut: Map<string, string>;
}

export const NO_RULE_USE: RuleUse = { file: '', modules: [], selecting: new Set(), leftOut: new Map() };

/** An empty note for `file`, matched by the `include` globs at `modules` (indexes). */
export function ruleUseOf(file: string, modules: readonly number[]): RuleUseNotes {
  const paths = modules.map((i) => keyPath(['include', i]));
  return { file, modules: paths, selecting: new Set(), leftOut: new Map() };
}

/** Notes the rules' verdict on one function of the file. */
export function noteVerdict(use: RuleUseNotes, verdict: RuleVerdict, naming: SiteName): void {
  const patterns = verdict.patterns.map((i) => keyPath(['functions', 'include', i]));
  if (verdict.selected) for (const path of [...use.modules, ...patterns]) use.selecting.add(path);
  else
    for (const path of patterns)
      if (!use.leftOut.has(path))
        use.leftOut.set(path, `matches ${naming.name} (${use.file}:${naming.line}), which the rules leave out: ${verdict.reason}`);
}

/** One TT1008 warning per rule of `config` that selects no function in any of the files `uses` describe. */
export function unmatchedRules(ts: TS, config: ResolvedConfig, uses: Iterable<RuleUse>): ts.Diagnostic[] {
  if (!config.enabled || !config.rules.length) return [];
  const selecting = new Set<string>();
  const matchedFiles = new Map<string, string[]>();
  const leftOut = new Map<string, string>();
  for (const use of uses) {
    for (const path of use.selecting) selecting.add(path);
    for (const path of use.modules) {
      if (!matchedFiles.has(path)) matchedFiles.set(path, []);
      matchedFiles.get(path)!.push(use.file);
    }
    for (const [path, why] of use.leftOut) if (!leftOut.has(path)) leftOut.set(path, why);
  }
  const findingOf = (rule: ConfigRule): string | undefined => {
    const quoted = `"${rule.pattern}"`;
    if (rule.list === 'include') {
      const files = matchedFiles.get(rule.path) ?? [];
      if (!files.length) return `${quoted} matches no source file of the program`;
      const which = files.length === 1 ? files[0] : `${files.length} source files (${files[0]}, …)`;
      return `${quoted} matches ${which}, but the rules select no function there`;
    }
    if (!config.include?.length)
      return `${quoted} selects nothing: the rules apply to no module ("include" is ${config.include ? 'empty' : 'not set'})`;
    // No module at all: the `include` warnings say so.
    if (!matchedFiles.size) return undefined;
    const why = leftOut.get(rule.path);
    if (why) return `${quoted} ${why}`;
    return picomatch.scan(rule.pattern).isGlob
      ? `${quoted} matches no function in the modules the rules apply to`
      : `no function is named ${quoted} in the modules the rules apply to`;
  };
  return config.rules.flatMap((rule) => {
    const finding = selecting.has(rule.path) ? undefined : findingOf(rule);
    if (finding === undefined) return [];
    const path = rule.at ? rule.path : `${rule.path} of the ts-traced plugin options`;
    return [toDiagnostic(ts, rule.at?.file, rule.at, tracedError('TT1008', { path, finding }))];
  });
}
