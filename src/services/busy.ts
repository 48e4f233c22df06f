/** The error a lock held by a live process gives (exit 5, naming it): callers that may simply skip test for it. */
import { isRackError } from '../errors.js';

export const isBusyHolder = (error: unknown): boolean =>
  isRackError(error) && error.kind === 'busy' && error.details?.holder !== undefined;
