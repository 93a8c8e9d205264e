/**
 * Expected files of golden tests: compares normalised text to the file, and with `UPDATE_GOLDEN=1` rewrites it
 * instead (refused under `CI=true`), printing `updated: <path>`. A missing expected file fails: its content is
 * reviewed output, written on purpose, never created silently.
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import * as assert from 'uvu/assert';
import { ROOT } from './compile';

const UPDATE = process.env.UPDATE_GOLDEN === '1';

if (UPDATE && process.env.CI === 'true') {
  throw new Error('UPDATE_GOLDEN=1 is refused under CI=true: expected files are updated locally and reviewed.');
}

/** Absolute paths of this checkout → `<ROOT>`, `\r\n` → `\n`, one trailing newline. */
export function normalise(text: string): string {
  return `${text.split(ROOT).join('<ROOT>').replace(/\r\n/g, '\n').trimEnd()}\n`;
}

/**
 * Checks `actual` against the expected file at `path` (for case `name`). `optional` files (diagnostics.txt)
 * are expected to be absent when there is nothing to put in them.
 */
export function expectFile(path: string, actual: string, name: string, optional = false): void {
  const text = actual.trim() === '' && optional ? undefined : normalise(actual);
  const exists = existsSync(path);
  const shown = relative(ROOT, path);
  if (UPDATE) {
    if (text === undefined) {
      if (exists) {
        unlinkSync(path);
        console.log(`removed: ${shown}`);
      }
      return;
    }
    if (!exists || readFileSync(path, 'utf8') !== text) {
      writeFileSync(path, text);
      console.log(`updated: ${shown}`);
    }
    return;
  }
  if (!exists) {
    if (text === undefined) return;
    const file = shown.split('/').pop();
    assert.unreachable(`no ${file} for ${name}: review the emit, then run UPDATE_GOLDEN=1 npm test`);
  }
  assert.fixture(text ?? '', readFileSync(path, 'utf8'), `~> ${shown} differs from the emit`);
}
