/**
 * The runtime import of one file, collect-then-emit: rewriters ask for helper calls while they work, the driver
 * emits the import once at the end, after any `"use ..."` prologue, followed by the version check:
 *
 * @example
 *   "use client";
 *   import * as __traced from "ts-traced/runtime";      // ES module output
 *   __traced.requireVersion(1);
 *
 *   const __traced = require("ts-traced/runtime");       // CommonJS output
 *   __traced.requireVersion(1);
 *
 * CommonJS output gets the `require` written out: TypeScript would turn the namespace import into the same
 * `require`, but under `esModuleInterop` wrapped in `__importStar`, with some thirty lines of helpers in every
 * traced file. A file without import or export is a script, which TypeScript's module transform leaves alone:
 * in a CommonJS output the `require` serves it too; an ES-module output cannot import into a script.
 */
import type * as ts from 'typescript';
import { CONTRACT_VERSION, RUNTIME_MODULE, VERSION_CHECK, VERSION_KEY, type HelperName } from '../../contract';

type TS = typeof import('typescript');

export interface RuntimeImport {
  /** `__traced.v1.<name>(...args)`. */
  call(name: HelperName, args: readonly ts.Expression[]): ts.CallExpression;
  /** The import and the version check, to put after the file's prologue. */
  statements(): ts.Statement[];
}

/** How the file can reach the runtime: an ES import (TypeScript turns it into `require` where needed) or a require. */
export type ImportForm = 'import' | 'require' | undefined;

/** `undefined` when the runtime cannot be imported into this file without changing what it is. */
export function importFormOf(ts: TS, file: ts.SourceFile, options: ts.CompilerOptions): ImportForm {
  if (isCommonJsOutput(ts, file, options)) return 'require';
  return ts.isExternalModule(file) ? 'import' : undefined;
}

/** Does TypeScript emit this file as CommonJS? (`module`, its default for the target, or the file's own format.) */
function isCommonJsOutput(ts: TS, file: ts.SourceFile, options: ts.CompilerOptions): boolean {
  const target = options.target ?? ts.ScriptTarget.ES5;
  const module = options.module ?? (target >= ts.ScriptTarget.ES2015 ? ts.ModuleKind.ES2015 : ts.ModuleKind.CommonJS);
  if (module >= ts.ModuleKind.Node16 && module <= ts.ModuleKind.NodeNext) {
    return file.impliedNodeFormat !== ts.ModuleKind.ESNext;
  }
  return module === ts.ModuleKind.CommonJS;
}

export function createRuntimeImport(
  ts: TS,
  factory: ts.NodeFactory,
  namespace: string,
  form: 'import' | 'require',
): RuntimeImport {
  const ns = () => factory.createIdentifier(namespace);
  return {
    call(name, args) {
      const helper = factory.createPropertyAccessExpression(
        factory.createPropertyAccessExpression(ns(), VERSION_KEY),
        name,
      );
      return factory.createCallExpression(helper, undefined, args);
    },
    statements() {
      const specifier = factory.createStringLiteral(RUNTIME_MODULE);
      const load =
        form === 'import'
          ? factory.createImportDeclaration(
              undefined,
              factory.createImportClause(undefined, undefined, factory.createNamespaceImport(ns())),
              specifier,
            )
          : factory.createVariableStatement(
              undefined,
              factory.createVariableDeclarationList(
                [
                  factory.createVariableDeclaration(
                    ns(),
                    undefined,
                    undefined,
                    factory.createCallExpression(factory.createIdentifier('require'), undefined, [specifier]),
                  ),
                ],
                ts.NodeFlags.Const,
              ),
            );
      const check = factory.createExpressionStatement(
        factory.createCallExpression(factory.createPropertyAccessExpression(ns(), VERSION_CHECK), undefined, [
          factory.createNumericLiteral(CONTRACT_VERSION),
        ]),
      );
      return [load, check];
    },
  };
}
