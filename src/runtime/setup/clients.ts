/**
 * `TRACED_CLIENTS`: which client libraries to trace, through the clients index. `all` (the default) traces each
 * supported library the app has installed and says nothing about the others; a list names libraries the app
 * expects to be traced, so one that cannot be (unknown, absent, unsupported version) is a problem line, and the
 * others are still installed.
 */
import type { SetupConfig } from './env';

export function installClients(clients: SetupConfig['clients'], problems: string[]): void {
  if (clients === 'none') return;
  const index = require('../clients') as typeof import('../clients');
  if (clients === 'all') {
    index.installAllPatches();
    return;
  }
  for (const name of clients) {
    try {
      index.installPatches([name as Parameters<typeof index.installPatches>[0][number]]);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^ts-traced: /, '') : String(error);
      problems.push(`ts-traced: TRACED_CLIENTS names ${name}, which is not traced (${reason}).`);
    }
  }
}
