import { VirshError } from '../../../src/discovery/virsh.js';

/** The VirshError a call rejects with; fails the test if it resolves or throws something else. */
export async function rejection(promise: Promise<unknown>): Promise<VirshError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VirshError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
