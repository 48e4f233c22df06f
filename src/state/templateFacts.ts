/**
 * What rack has learned about a template, cached on this machine by the template's sha256: its parameter
 * declarations and the NoEcho keys CloudFormation reported for it (GetTemplateSummary). Both are pure
 * functions of the template's bytes, so a cached entry never goes stale; it saves `rack params` a YAML
 * parse and an AWS call on every run after the first. Holds no secret: the defaults of NoEcho parameters
 * are left out.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sha256 } from '../core/digest.js';
import type { ParameterDeclaration } from '../core/template.js';

export interface TemplateFacts {
  declarations: ParameterDeclaration[];
  /** NoEcho keys as GetTemplateSummary reported them for this template. */
  summaryNoEcho: string[];
}

export const templateDigest = (body: string) => sha256(body);

const factsFile = (home: string, digest: string) => path.join(home, 'cache', 'templates', `${digest}.json`);

export async function readTemplateFacts(home: string, digest: string): Promise<TemplateFacts | undefined> {
  try {
    const facts = JSON.parse(await fs.readFile(factsFile(home, digest), 'utf8')) as TemplateFacts;
    return Array.isArray(facts.declarations) && Array.isArray(facts.summaryNoEcho) ? facts : undefined;
  } catch {
    return undefined;
  }
}

export async function writeTemplateFacts(home: string, digest: string, facts: TemplateFacts): Promise<void> {
  const secret = new Set([...facts.summaryNoEcho, ...facts.declarations.filter((d) => d.noEcho).map((d) => d.key)]);
  const safe: TemplateFacts = {
    summaryNoEcho: facts.summaryNoEcho,
    declarations: facts.declarations.map((d) => (secret.has(d.key) ? { ...d, default: undefined } : d)),
  };
  const file = factsFile(home, digest);
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temp, JSON.stringify(safe), { mode: 0o600 });
    await fs.rename(temp, file);
  } catch {
    // A cache that cannot be written costs the next run some time, nothing else.
  }
}
