/**
 * `traced codegen <tsconfig.json | dir> --out <dir>`: writes the project's sources, instrumented, into another
 * folder, for compilers that cannot run a TypeScript transformer (TypeScript 7, esbuild, swc, Bun, Deno). The
 * folder mirrors the project (paths relative to the tsconfig's folder), so relative imports keep working, and
 * holds a tsconfig.json that extends the project's, with the plugin entry removed so a tspc build of it does
 * not instrument twice. Lines stay where they were; each instrumented file gets a `.map` back to its source.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { unmatchedRules, type RuleUse } from '../transformer/select/rule-use';
import { createTextRewriter, readProject, type Project } from '../transformer/text/index';

export const usage = `Usage: traced codegen <tsconfig.json | dir> --out <dir>

Writes every source file of the project into <dir>, instrumented as tspc with the ts-traced plugin would
(same selection, same generated calls), with a source map beside each instrumented file and a tsconfig.json
that extends the project's. Then compile <dir> with any compiler: tsc -p <dir>, tsgo -p <dir>, esbuild, swc.
A <dir> argument without a tsconfig.json is a folder of sources, with default options.

Options:
  -o, --out <dir>  where to write (required; not the project's own folder)
  -h, --help       show this help`;

const SOURCE = /\.[cm]?[jt]sx?$/;

/** A folder without tsconfig.json: its sources (not node_modules or hidden folders), with default options. */
function folderProject(dir: string): Project {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.name === 'node_modules' || e.name.startsWith('.') ? [] : e.isDirectory() ? walk(join(d, e.name)) : SOURCE.test(e.name) ? [join(d, e.name)] : [],
    );
  return { tsconfigPath: join(dir, 'tsconfig.json'), projectRoot: dir, options: {}, fileNames: walk(dir), errors: [] };
}

export interface CodegenResult {
  readonly written: readonly string[];
  readonly instrumented: number;
  readonly sites: number;
  readonly diagnostics: readonly ts.Diagnostic[];
}

/** Writes the instrumented project into `out`; with a config error, writes nothing and returns the faults. */
export function codegenProject(project: Project, out: string): CodegenResult {
  const rewriter = createTextRewriter(ts, { ...project.pluginOptions, tsconfig: project.tsconfigPath, compilerOptions: project.options });
  if (rewriter.diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error)) {
    return { written: [], instrumented: 0, sites: 0, diagnostics: rewriter.diagnostics };
  }
  const root = project.projectRoot;
  const diagnostics: ts.Diagnostic[] = [...rewriter.diagnostics];
  const written: string[] = [];
  const uses: RuleUse[] = [];
  let instrumented = 0;
  let sites = 0;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  };
  for (const fileName of project.fileNames) {
    const target = join(out, relative(root, fileName));
    const text = ts.sys.readFile(fileName) ?? '';
    if (!SOURCE.test(fileName) || /\.d\.[cm]?ts$/.test(fileName)) {
      write(target, text);
      continue;
    }
    const result = rewriter.rewrite(fileName, text);
    diagnostics.push(...result.diagnostics);
    uses.push(result.selection.rules);
    if (!result.map) {
      write(target, text);
      continue;
    }
    instrumented++;
    sites += result.traced.length;
    const map = { ...result.map, file: relative(dirname(target), target), sources: [relative(dirname(target), fileName)] };
    write(`${target}.map`, JSON.stringify(map));
    write(target, `${result.code}${result.code.endsWith('\n') ? '' : '\n'}//# sourceMappingURL=${relative(dirname(target), target)}.map\n`);
  }
  if (existsSync(project.tsconfigPath)) write(join(out, 'tsconfig.json'), tsconfigFor(project, out, written));
  diagnostics.push(...unmatchedRules(ts, rewriter.config, uses));
  return { written, instrumented, sites, diagnostics };
}

/**
 * Extends the project's tsconfig (outDir, paths and the rest keep meaning what they meant), lists the written
 * sources, maps `rootDir` to its copy, and drops the plugin entry: the sources are instrumented already.
 */
function tsconfigFor(project: Project, out: string, written: readonly string[]): string {
  const slash = (p: string) => p.split('\\').join('/');
  const rootDir = project.options.rootDir && join(out, relative(project.projectRoot, project.options.rootDir));
  const compilerOptions = { plugins: [], ...(rootDir ? { rootDir: slash(relative(out, rootDir)) || '.' } : {}) };
  const files = written.filter((f) => SOURCE.test(f)).map((f) => slash(relative(out, f)));
  // `include: []`: the project's own `include` would be inherited, and bring the uninstrumented sources back.
  return `${JSON.stringify({ extends: slash(relative(out, project.tsconfigPath)), compilerOptions, files, include: [] }, null, 2)}\n`;
}

export function run(args: readonly string[]): number {
  let parsed: { values: { out?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (error) {
    console.error(`traced codegen: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length !== 1 || !values.out) {
    console.error(`traced codegen: give one tsconfig.json or folder, and --out\n\n${usage}`);
    return 2;
  }
  const input = resolve(positionals[0]);
  if (!existsSync(input)) {
    console.error(`traced codegen: cannot read ${positionals[0]}: no such file`);
    return 1;
  }
  const isFolder = statSync(input).isDirectory() && !existsSync(join(input, 'tsconfig.json'));
  const project = isFolder ? folderProject(input) : readProject(ts, input);
  if (project.errors.length) {
    console.error(ts.formatDiagnostics(project.errors, formatHost));
    return 1;
  }
  const out = resolve(values.out);
  const inside = (dir: string, f: string) => { const r = relative(dir, f); return !r.startsWith('..') && !isAbsolute(r); };
  if (out === project.projectRoot || project.fileNames.some((f) => inside(out, f))) {
    console.error(`traced codegen: --out ${values.out} holds the project's own sources: choose another folder`);
    return 2;
  }
  const outside = project.fileNames.find((f) => !inside(project.projectRoot, f));
  if (outside) {
    console.error(`traced codegen: ${outside} is outside the project folder ${project.projectRoot}: it cannot be mirrored into --out`);
    return 1;
  }
  const result = codegenProject(project, out);
  if (result.diagnostics.length) console.error(ts.formatDiagnostics(result.diagnostics, formatHost).trimEnd());
  if (result.written.length) {
    console.log(`traced codegen: ${result.sites} functions instrumented in ${result.instrumented} of ${project.fileNames.length} files, written to ${relative(process.cwd(), out) || out}`);
  }
  return result.diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error) ? 1 : 0;
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => process.cwd(),
  getNewLine: () => '\n',
};
