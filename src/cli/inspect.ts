/**
 * `traced inspect [tsconfig] [--json]`: why is, or isn't, each function traced. For every file of the project it
 * lists the functions that will be traced (span name, kind, position, and what selected them: `@traced`,
 * `/** @traced *\/`, or which config rule), the functions a marker or a rule considered and left alone (the
 * reason), and the problems the compiler would report. It runs the same selection and the same traceability
 * checks as the build (the text rewrite, without writing anything), so what it says is what tspc does.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { executionKindName } from '../transformer/select/kinds';
import { unmatchedRules, type RuleUse } from '../transformer/select/rule-use';
import type { Site } from '../transformer/select/site';
import { createTextRewriter, readProject } from '../transformer/text/index';
import type { TagValue } from '../contract';

export const usage = `Usage: traced inspect [tsconfig.json | dir] [--json]

Lists, per file of the project, each function that will be traced (span name, kind, position, and the
@traced decorator, /** @traced */ comment or config rule that selected it), each function a marker or a
rule left untraced (with the reason), and each problem the build would report. Exit code 1 when the
configuration or a marker has an error.

Options:
  --json      one JSON document for tools, instead of the table
  -h, --help  show this help`;

export interface TracedEntry {
  readonly name: string;
  readonly function: string;
  readonly namespace?: string;
  readonly kind: string;
  readonly line: number;
  readonly column: number;
  readonly selectedBy: 'decorator' | 'jsdoc' | 'config';
  /** For `config`: the include glob (and `functions.include` pattern) that matched. */
  readonly rule?: string;
  readonly tags?: Readonly<Record<string, TagValue>>;
  readonly args?: readonly string[];
  readonly requireActiveTrace: boolean;
}

export interface SkippedEntry {
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

export interface Problem {
  readonly code: string;
  /** Relative to the project root; absent for a problem of the plugin options without a position. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export interface FileReport {
  readonly file: string;
  readonly traced: readonly TracedEntry[];
  readonly skipped: readonly SkippedEntry[];
  readonly problems: readonly Problem[];
}

export interface InspectReport {
  readonly tsconfig: string;
  readonly projectRoot: string;
  readonly configFile: string | null;
  /** Configuration problems (TT1xxx). */
  readonly problems: readonly Problem[];
  /** Config rules that select no function in the project (TT1008): printed on stderr, the exit code stays. */
  readonly warnings: readonly Problem[];
  /** Files with something to say, in the project's order. */
  readonly files: readonly FileReport[];
  readonly totals: { readonly files: number; readonly traced: number; readonly skipped: number; readonly problems: number };
}

export function inspectProject(tsconfig: string): InspectReport {
  const project = readProject(ts, tsconfig);
  if (project.errors.length) throw new Error(ts.flattenDiagnosticMessageText(project.errors[0].messageText, '\n'));
  const root = project.projectRoot;
  const rewriter = createTextRewriter(ts, { ...project.pluginOptions, tsconfig: project.tsconfigPath, compilerOptions: project.options });
  const sources = project.fileNames.filter((f) => !/\.d\.[cm]?ts$/.test(f) && /\.[cm]?[jt]sx?$/.test(f));
  const files: FileReport[] = [];
  const uses: RuleUse[] = [];
  for (const fileName of sources) {
    const result = rewriter.rewrite(fileName, ts.sys.readFile(fileName) ?? '');
    uses.push(result.selection.rules);
    const at = (node: ts.Node) => position(node.getSourceFile(), node.getStart());
    const traced = new Set(result.traced);
    const untraceable = [...result.selection.sites.values()].filter((s) => !traced.has(s));
    const report: FileReport = {
      file: relative(root, fileName),
      traced: result.traced.map((site) => tracedEntry(site, at(site.node.name ?? site.node))),
      skipped: [
        ...result.selection.skipped.map((s) => ({ name: s.name, ...at((s.node as ts.FunctionLikeDeclaration).name ?? s.node), reason: s.reason })),
        ...untraceable.map((s) => ({ name: s.name, ...at(s.node.name ?? s.node), reason: 'cannot be traced faithfully (see the problem)' })),
      ].sort((a, b) => a.line - b.line || a.column - b.column),
      problems: result.diagnostics.map((d) => problemOf(d, root)),
    };
    if (report.traced.length || report.skipped.length || report.problems.length) files.push(report);
  }
  const sum = (key: 'traced' | 'skipped' | 'problems') => files.reduce((n, f) => n + f[key].length, 0);
  const problems = rewriter.diagnostics.map((d) => problemOf(d, root));
  return {
    tsconfig: project.tsconfigPath,
    projectRoot: root,
    configFile: rewriter.config.configFile ?? null,
    problems,
    warnings: unmatchedRules(ts, rewriter.config, uses).map((d) => problemOf(d, root)),
    files,
    totals: { files: sources.length, traced: sum('traced'), skipped: sum('skipped'), problems: problems.length + sum('problems') },
  };
}

function tracedEntry(site: Site, where: { line: number; column: number }): TracedEntry {
  return {
    name: site.name,
    function: site.fn,
    ...(site.ns === undefined ? {} : { namespace: site.ns }),
    kind: executionKindName(site.kind),
    ...where,
    selectedBy: site.selectedBy.by,
    ...(site.selectedBy.by === 'config' ? { rule: site.selectedBy.rule } : {}),
    ...(site.tags ? { tags: site.tags } : {}),
    ...(site.args ? { args: site.args.map((a) => a.name) } : {}),
    requireActiveTrace: site.requireActive,
  };
}

function position(file: ts.SourceFile, start: number): { line: number; column: number } {
  const { line, character } = file.getLineAndCharacterOfPosition(start);
  return { line: line + 1, column: character + 1 };
}

function problemOf(d: ts.Diagnostic, root: string): Problem {
  const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  const [, code = `TS${d.code}`, message = text] = /^(TT\d{4}): (.*)$/s.exec(text) ?? [];
  if (!d.file || d.start === undefined) return { code, message };
  return { code, file: relative(root, d.file.fileName), ...position(d.file, d.start), message };
}

const SELECTED_BY = { decorator: '@traced', jsdoc: '/** @traced */' } as const;

export function formatReport(report: InspectReport, cwd = process.cwd()): string {
  const shown = (path: string) => relative(cwd, path) || path;
  const out = [`${shown(report.tsconfig)}${report.configFile ? ` with ${shown(report.configFile)}` : ''}`];
  const problem = (p: Problem) => `${p.code} ${p.message}`;
  for (const p of report.problems) out.push(`  ${p.file ? `${p.file}:${p.line}:${p.column}: ` : ''}${problem(p)}`);
  const names = report.files.flatMap((f) => [...f.traced, ...f.skipped].map((e) => e.name.length));
  const width = Math.max(0, ...names);
  for (const f of report.files) {
    out.push('', f.file);
    const rows = [
      ...f.traced.map((t) => {
        const by = t.selectedBy === 'config' ? `rule ${t.rule}` : SELECTED_BY[t.selectedBy];
        return { at: t, text: `traced   ${t.name.padEnd(width)}  ${t.kind.padEnd(14)}  ${by}` };
      }),
      ...f.skipped.map((s) => ({ at: s, text: `skipped  ${s.name.padEnd(width)}  ${''.padEnd(14)}  ${s.reason}` })),
      ...f.problems.map((p) => ({ at: { line: p.line ?? 0, column: p.column ?? 0 }, text: `problem  ${problem(p)}` })),
    ].sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column);
    for (const r of rows) out.push(`${`${r.at.line}:${r.at.column}`.padStart(8)}  ${r.text.trimEnd()}`);
  }
  const t = report.totals;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  out.push('', `${t.traced} traced, ${t.skipped} skipped, ${plural(t.problems, 'problem')} in ${plural(t.files, 'file')}`);
  return out.join('\n');
}

export function run(args: readonly string[]): number {
  let parsed: { values: { json?: boolean; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (error) {
    console.error(`traced inspect: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(usage);
    return 0;
  }
  if (parsed.positionals.length > 1) {
    console.error(`traced inspect: one tsconfig at a time\n\n${usage}`);
    return 2;
  }
  const tsconfig = parsed.positionals[0] ?? 'tsconfig.json';
  if (!ts.sys.fileExists(tsconfig) && !ts.sys.fileExists(`${tsconfig}/tsconfig.json`)) {
    console.error(`traced inspect: cannot read ${tsconfig}: no such file`);
    return 1;
  }
  const report = inspectProject(tsconfig);
  for (const w of report.warnings) console.error(`${w.file ? `${w.file}:${w.line}:${w.column}: ` : ''}warning ${w.code} ${w.message}`);
  console.log(parsed.values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  const errors = report.problems.length + report.files.reduce((n, f) => n + f.problems.length, 0);
  return errors ? 1 : 0;
}
