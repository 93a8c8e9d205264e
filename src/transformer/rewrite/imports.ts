/**
 * The runtime import of one file, collect-then-emit: rewriters ask for helper calls while they work, the driver
 * emits the import once at the end, after any `"use ..."` prologue, followed by the version check:
 *
 * @example
 *   "use client";
 *   import * as __traced from "ts-traced/runtime";
 *   __traced.requireVersion(1);
 *
 * A file without import or export is a script: TypeScript's module transform leaves it alone, so an ES import
 * would reach the output as it is. In a CommonJS output it gets `const __traced = require("ts-traced/runtime")`
 * instead; an ES-module output cannot import into a script (see `canImportInto`).
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
  if (ts.isExternalModule(file)) return 'import';
  const module = options.module;
  const isNode = module !== undefined && module >= ts.ModuleKind.Node16 && module <= ts.ModuleKind.NodeNext;
  if (module === ts.ModuleKind.CommonJS || (isNode && file.impliedNodeFormat === ts.ModuleKind.CommonJS)) return 'require';
  return undefined;
}

export function createRuntimeImport(ts: TS, factory: ts.NodeFactory, namespace: string, form: 'import' | 'require'): RuntimeImport {
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
