/**
 * The registry file's schema, loaded only when a file needs explaining (see registry.ts): zod is a large
 * module, and every command reads the registry.
 */
import { z } from 'zod';
import { LABEL_KEY, LABEL_VALUE } from '../core/labels.js';
import { RACK_NAME } from '../core/rackName.js';

export const rackSchema = z
  .object({
    name: z.string().regex(RACK_NAME),
    stack: z.string().min(1),
    region: z.string().min(1),
    profile: z.string().min(1).optional(),
    channel: z.string().min(1),
    window: z.string().min(1).optional(),
    roleArn: z.string().min(1).optional(),
    stackId: z.string().min(1).optional(),
    addedAt: z.string().min(1),
    labels: z.record(z.string().regex(LABEL_KEY), z.string().regex(LABEL_VALUE)).optional(),
    alarms: z.array(z.string().min(1)).optional(),
    monitorMinutes: z.number().int().min(0).max(180).optional(),
  })
  .strict();

export const registrySchema = z.object({ schema: z.literal(1), racks: z.array(rackSchema) }).strict();
