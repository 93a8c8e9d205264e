/**
 * The golden fixtures of the AST transformer (test/transformer/fixtures/<group>/<case>/), read-only, as cases
 * for the pipelines that use the text rewrite: their options (group options.json under the case's, as the
 * golden runner merges them), and the helpers that compare what two builds record.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import type { TracedPluginOptions } from '../../src/transformer/config/types';

export const FIXTURES = join(__dirname, '..', 'transformer', 'fixtures');

export interface GoldenCase {
  readonly group: string;
  readonly name: string;
  readonly dir: string;
  readonly compilerOptions: Record<string, unknown>;
  readonly pluginOptions: TracedPluginOptions;
  readonly typeErrors: boolean;
  readonly hasExec: boolean;
}

const folders = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

const readJson = (path: string): any => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {});

export function goldenCases(): GoldenCase[] {
  return folders(FIXTURES).flatMap((group) =>
    folders(join(FIXTURES, group)).map((name) => {
      const dir = join(FIXTURES, group, name);
      const outer = readJson(join(FIXTURES, group, 'options.json'));
      const inner = readJson(join(dir, 'options.json'));
      const plugin = { ...outer.pluginOptions, ...inner.pluginOptions };
      return {
        group,
        name,
        dir,
        compilerOptions: { ...outer.compilerOptions, ...inner.compilerOptions },
        // `null` in a case's options removes a key its group sets.
        pluginOptions: JSON.parse(JSON.stringify(plugin, (_, v) => (v === null ? undefined : v))),
        typeErrors: Boolean(inner.typeErrors ?? outer.typeErrors),
        hasExec: existsSync(join(dir, 'exec.ts')),
      };
    }),
  );
}

/**
 * The site records a compiled module declares (`__traced.v1.site({...})`), as values, in declaration order:
 * what the module will trace, read from its text.
 */
export function siteRecordsOf(fileName: string, text: string): unknown[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const records: unknown[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'site' &&
      /^__traced(_\d+)?\.v1$/.test(node.expression.expression.getText(file))
    ) {
      records.push(vm.runInNewContext(`(${node.arguments[0].getText(file)})`));
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return records.map((r) => JSON.parse(JSON.stringify(r)));
}
