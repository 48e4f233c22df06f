/**
 * Migration effects in the plan's words. Kept apart from migrations.ts (which loads the YAML and schema
 * libraries) because commands render these while the command parser is all that has loaded.
 */
import type { MigrationEffect } from './migrations.js';

/** e.g. "rename LogRetention → LogRetentionDays", "add WebhookSecret (generated secret)". Never a value. */
export function describeEffect(effect: MigrationEffect): string {
  switch (effect.kind) {
    case 'rename':
      return `rename ${effect.from} → ${effect.key}`;
    case 'remove':
      return `remove ${effect.key}`;
    default:
      return `${effect.kind} ${effect.key}${effect.valueFrom === 'generated' ? ' (generated secret)' : ''}`;
  }
}
