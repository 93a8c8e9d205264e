/**
 * `ts-traced/runtime`: what instrumented code imports. Not for users: they import `ts-traced`.
 */
import { CONTRACT_VERSION, type RuntimeModule } from '../contract';
import { v1 as implementation } from './v1';

const provided: readonly number[] = [CONTRACT_VERSION];

export function requireVersion(version: number): void {
  if (provided.includes(version)) return;
  throw new Error(
    `ts-traced: this module was compiled for runtime contract v${version}, but the installed ts-traced runtime ` +
      `provides v${provided.join(', v')}. Install the ts-traced version the code was built with, or rebuild it.`,
  );
}

/**
 * A data property, not `export { v1 }`: tsc compiles a re-export to a getter, and emitted code reads `__traced.v1`
 * three times per call (about 19 ns per call with no tracer on Node 20, against under 1 ns for a data property).
 */
export const v1 = implementation;

({ requireVersion, v1 }) satisfies RuntimeModule;
