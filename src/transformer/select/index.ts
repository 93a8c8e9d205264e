/**
 * `selectSites`: decides, for every function of a file, whether and how it is traced. Pure and syntax-only
 * (no type checker), so it runs the same under tspc, transpileModule, `traced inspect` and `traced codegen`.
 *
 * Precedence: `@untraced` / `/** @untraced *\/` beat everything; then `@traced` (its options) and
 * `/** @traced *\/`; then config rules. A marked function with a problem is reported and left untraced.
 */
import type * as ts from 'typescript';
import type { ResolvedConfig } from '../config/types';
import { toDiagnostic, tracedError } from '../diagnostics';
import { collectMarkerImports, decoratorMarkersOf, type DecoratorMarker, type MarkerImports } from './decorators';
import { heldFunction, hostsOf, jsDocMarkerOf, jsDocMarkersOfFunction, type JsDocMarker } from './jsdoc';
import { isFunctionNode, siteKindOf, type FunctionNode } from './kinds';
import { nameOf, type SiteName } from './naming';
import { readDecoratorOptions } from './options';
import { NO_RULE_USE, noteVerdict, ruleUseOf, type RuleUse, type RuleUseNotes } from './rule-use';
import { exportedNames, moduleRules, relativePath, ruleVerdict } from './rules';
import type { Problem, Site, SkippedSite } from './site';

export type { RuleUse } from './rule-use';
export type { Site, SkippedSite, SelectedBy } from './site';

type TS = typeof import('typescript');

export interface SelectOptions {
  /** Folder `Site.file` is relative to: the tsconfig's folder, or the cwd without a Program. */
  readonly projectRoot: string;
  /** The file's path when `sourceFile.fileName` is not the one to use (absolute, or relative to projectRoot). */
  readonly fileName?: string;
}

export interface Selection {
  /** Traced functions, keyed by their node in the original (parse) tree. */
  readonly sites: ReadonlyMap<ts.Node, Site>;
  /** Functions a marker or a rule considered and left untraced, with the reason. */
  readonly skipped: readonly SkippedSite[];
  /** TT2xxx problems, positioned in this file. */
  readonly diagnostics: readonly ts.Diagnostic[];
  /** Every `@traced` / `@untraced` decorator of ts-traced in the file, to drop from the emit. */
  readonly decorators: readonly ts.Decorator[];
  /** What the config rules matched and selected here, for `unmatchedRules` over a whole program. */
  readonly rules: RuleUse;
}

interface Walk {
  readonly ts: TS;
  readonly file: ts.SourceFile;
  readonly config: ResolvedConfig;
  readonly imports: MarkerImports;
  readonly relativeFile: string;
  readonly moduleGlob: string | undefined;
  readonly exported: ReadonlySet<string>;
  readonly rules: RuleUseNotes;
  readonly sites: Map<ts.Node, Site>;
  readonly skipped: SkippedSite[];
  readonly problems: Problem[];
  readonly decorators: ts.Decorator[];
}

const EMPTY: Selection = { sites: new Map(), skipped: [], diagnostics: [], decorators: [], rules: NO_RULE_USE };

export function selectSites(ts: TS, file: ts.SourceFile, config: ResolvedConfig, options: SelectOptions): Selection {
  if (!config.enabled || file.isDeclarationFile) return EMPTY;
  const fileName = options.fileName ?? file.fileName;
  const modules = config.include ? moduleRules(config, fileName) : [];
  const moduleGlob = modules.length ? config.include![modules[0]!] : undefined;
  // Most files of a project have no marker and no rule: skip the walk (every marker contains "traced").
  if (moduleGlob === undefined && !file.text.includes('traced')) return EMPTY;
  const relativeFile = relativePath(options.projectRoot, fileName);
  const walk: Walk = {
    ts,
    file,
    config,
    imports: collectMarkerImports(ts, file),
    relativeFile,
    moduleGlob,
    exported: exportedNames(ts, file),
    rules: ruleUseOf(relativeFile, modules),
    sites: new Map(),
    skipped: [],
    problems: [],
    decorators: [],
  };
  const visit = (node: ts.Node): void => {
    if (isFunctionNode(ts, node)) considerFunction(walk, node);
    else checkStrayMarkers(walk, node);
    ts.forEachChild(node, visit);
  };
  visit(file);
  const diagnostics = walk.problems.map((p) => toDiagnostic(ts, file, p.node, p.error));
  return { sites: walk.sites, skipped: walk.skipped, diagnostics, decorators: walk.decorators, rules: walk.rules };
}

function considerFunction(walk: Walk, fn: FunctionNode): void {
  const { ts, file } = walk;
  const decorated = hostsOf(ts, fn).flatMap((host) => decoratorMarkersOf(ts, host, walk.imports));
  walk.decorators.push(...decorated.map((d) => d.decorator));
  const docs = jsDocMarkersOfFunction(ts, fn, file);
  const doc = docs.find((d) => d.marker === 'traced');
  const traced = decorated.find((d) => d.marker === 'traced');
  const untraced = [...decorated, ...docs].some((d) => d.marker === 'untraced');
  const naming = nameOf(ts, fn, file);
  const skip = (reason: string): void => void walk.skipped.push({ node: fn, name: naming.name, reason });
  const context = walk.moduleGlob === undefined ? undefined : { moduleGlob: walk.moduleGlob, exported: walk.exported };
  // Judged for marked functions too: a rule that matches one matches a function.
  const verdict = context && ruleVerdict(ts, fn, naming, walk.config, context);
  if (verdict) noteVerdict(walk.rules, verdict, naming);

  if (untraced && (traced || doc)) {
    walk.problems.push({ node: traced?.decorator ?? fn.name ?? fn, error: tracedError('TT2011', {}) });
    return skip('both @traced and @untraced');
  }
  if (untraced) return skip('@untraced');
  if (traced || doc) return markedSite(walk, fn, naming, traced, doc, skip);
  if (!verdict) return;
  if (!verdict.selected) return skip(verdict.reason);
  const tags = Object.keys(walk.config.tags).length ? walk.config.tags : undefined;
  walk.sites.set(fn, {
    ...siteBase(walk, fn, naming),
    tags,
    requireActive: walk.config.requireActiveTrace,
    needsArguments: false,
    decorators: [],
    selectedBy: { by: 'config', rule: verdict.rule },
  });
}

/** Inside `declare class`, `declare module`/`namespace`, or itself `declare`d: nothing there has a body. */
function isAmbient(ts: TS, node: ts.Node): boolean {
  const isDeclared = (n: ts.Node) =>
    ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
  return ts.findAncestor(node, isDeclared) !== undefined;
}

/** Where a marker cannot go: the TT2001-TT2004 problem for `fn`, if any. */
function placementProblem(walk: Walk, fn: FunctionNode, marker: string) {
  const { ts } = walk;
  if (isAmbient(ts, fn)) return tracedError('TT2003', { marker });
  if (ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Abstract) return tracedError('TT2002', { marker });
  if (ts.isConstructorDeclaration(fn)) return tracedError('TT2004', { marker });
  if (!fn.body) return tracedError('TT2001', { marker });
  return undefined;
}

function markedSite(
  walk: Walk,
  fn: FunctionNode,
  naming: SiteName,
  decorator: DecoratorMarker | undefined,
  doc: JsDocMarker | undefined,
  skip: (reason: string) => void,
): void {
  const marker = decorator ? '@traced' : '/** @traced */';
  const at = decorator?.decorator ?? fn.name ?? fn;
  const misplaced = placementProblem(walk, fn, marker);
  if (misplaced) {
    walk.problems.push({ node: at, error: misplaced });
    return skip(`${marker} cannot apply here`);
  }
  const problems: Problem[] = [];
  const options = readDecoratorOptions(walk.ts, decorator?.options, fn, problems);
  if (problems.length) {
    walk.problems.push(...problems);
    return skip(`${marker} options have problems`);
  }
  const base = siteBase(walk, fn, naming);
  walk.sites.set(fn, {
    ...base,
    name: options.name ?? doc?.name ?? base.name,
    tags: options.tags && Object.keys(options.tags).length ? options.tags : undefined,
    args: options.args?.length ? options.args : undefined,
    requireActive: options.requireActiveTrace ?? false,
    dynamic: options.dynamic,
    needsArguments: Boolean(options.args?.length || options.dynamic),
    decorators: decorator ? [decorator.decorator] : [],
    selectedBy: { by: decorator ? 'decorator' : 'jsdoc' },
  });
}

function siteBase(walk: Walk, fn: FunctionNode, naming: SiteName) {
  const kind = siteKindOf(walk.ts, fn);
  const { name, ns, line } = naming;
  return { node: fn, name, kind, fn: naming.fn, ns, file: walk.relativeFile, line };
}

/** `@traced` on something that holds no function: a class, a parameter, a non-function property or variable. */
function checkStrayMarkers(walk: Walk, node: ts.Node): void {
  const { ts } = walk;
  const decorated = decoratorMarkersOf(ts, node, walk.imports);
  const holdsFunction = heldFunction(ts, node) !== undefined;
  if (!holdsFunction) walk.decorators.push(...decorated.map((d) => d.decorator));
  const canHoldDoc =
    ts.isClassLike(node) ||
    ts.isPropertyDeclaration(node) ||
    ts.isPropertyAssignment(node) ||
    ts.isVariableStatement(node);
  const doc = canHoldDoc ? jsDocMarkerOf(ts, node, walk.file) : undefined;
  const decorator = decorated.find((d) => d.marker === 'traced');
  if (holdsFunction || (!decorator && doc?.marker !== 'traced')) return;
  const what = ts.isClassLike(node)
    ? 'a class'
    : ts.isParameter(node)
      ? 'a parameter'
      : ts.isVariableStatement(node)
        ? 'a variable that does not hold a single function'
        : 'a property that is not a function';
  const marker = decorator ? '@traced' : '/** @traced */';
  walk.problems.push({ node: decorator?.decorator ?? node, error: tracedError('TT2005', { marker, what }) });
}
