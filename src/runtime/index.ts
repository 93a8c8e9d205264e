/**
 * `ts-traced/runtime`: what instrumented code imports. Not for users: they import `ts-traced`.
 */
import { CONTRACT_VERSION, type RuntimeModule } from '../contract';
import { v1 } from './v1';

const provided: readonly number[] = [CONTRACT_VERSION];

export function requireVersion(version: number): void {
  if (provided.includes(version)) return;
  throw new Error(
    `ts-traced: this module was compiled for runtime contract v${version}, but the installed ts-traced runtime ` +
      `provides v${provided.join(', v')}. Install the ts-traced version the code was built with, or rebuild it.`,
  );
}

export { v1 };

({ requireVersion, v1 }) satisfies RuntimeModule;
