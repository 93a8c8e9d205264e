/**
 * The invisibility check of the client tests: a scenario run with the wrapper off, then on under a fresh
 * recording tracer, so a test can assert that what the application saw is the same both times.
 */
import type { ClientWrapper } from '../../src/runtime/clients/install';
import { installRecordingTracer, type RecordingTracer } from './mock-tracer';

export async function untracedThenTraced<T>(
  wrapper: Pick<ClientWrapper, 'install' | 'uninstall'>,
  scenario: () => Promise<T>,
): Promise<{ untraced: T; traced: T; tracer: RecordingTracer }> {
  wrapper.uninstall();
  const untraced = await scenario();
  wrapper.install();
  const tracer = installRecordingTracer();
  const traced = await scenario();
  return { untraced, traced, tracer };
}
