/**
 * What the transformer does once per Program, before any file is transformed: the check that every config rule
 * selects something (C8.98). A transformer factory is called per file and never learns which file is the last
 * (an incremental build emits a few files, `noEmit` none), so the check selects up front, in each file the rules
 * apply to, and hands those selections to the transform instead of selecting the file twice.
 */
import type * as ts from 'typescript';
import type { ProgramContext } from './context';
import { selectSites, type Selection } from './select';
import { unmatchedRules } from './select/rule-use';
import { moduleRules } from './select/rules';

/** ts-patch makes a transformer per emit call (per file under `tsc --build` or `--incremental`): check once. */
const checked = new WeakSet<ts.Program>();

/**
 * Reports a TT1008 warning for each rule that selects no function in `program`, and returns the selections
 * made for it, by parse-tree source file.
 */
export function checkProgramRules(p: ProgramContext, program: ts.Program): WeakMap<ts.SourceFile, Selection> {
  const selections = new WeakMap<ts.SourceFile, Selection>();
  const { ts, config } = p;
  if (!config.enabled || !config.rules.length || checked.has(program)) return selections;
  checked.add(program);
  // Binds every file (selection reads parent pointers); the emit that follows makes the same checker anyway.
  program.getTypeChecker();
  const uses = [];
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || program.isSourceFileFromExternalLibrary(file) || file.fileName.endsWith('.json')) continue;
    // A file no `include` glob matches has nothing to say about the rules.
    if (!config.include || !moduleRules(config, file.fileName).length) continue;
    const selection = selectSites(ts, file, config, { projectRoot: p.projectRoot });
    selections.set(file, selection);
    uses.push(selection.rules);
  }
  unmatchedRules(ts, config, uses).forEach(p.report);
  return selections;
}
