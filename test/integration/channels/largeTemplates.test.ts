/**
 * Template sizes at the release tools: a template over 51,200 bytes is published like any other (it will go
 * through the artifacts bucket), one over 1,000,000 bytes, which CloudFormation cannot take at all, is
 * refused by `channel publish` and reported by `channel verify`, naming the file and its size.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fixedClock, newTemplate, snapshot, workspace, type Workspace } from './fixtures.js';

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A rack template padded with comment lines to exactly `bytes` bytes. */
async function templateOf(bytes: number): Promise<string> {
  const base = await newTemplate('3.0.0');
  const line = `# ${'padding '.repeat(12)}\n`;
  let body = base;
  while (Buffer.byteLength(body) + line.length <= bytes) body += line;
  return `${body + '#'.repeat(bytes - Buffer.byteLength(body) - 1)}\n`;
}

const publish = (file: string) =>
  ws.rack(['channel', 'publish', '3.0.0', '--template', file, '--channels', ws.channels], {
    clock: fixedClock('2026-12-01T12:00:00Z'),
  });

describe('template sizes', () => {
  it('publishes a template over 51,200 bytes', async () => {
    const file = path.join(ws.root, 'large.yaml');
    await writeFile(file, await templateOf(80_000));
    const result = await publish(file);
    expect(result.code, result.stderr).toBe(0);
    expect(await ws.read('templates/rack-3.0.0.yaml')).toHaveLength(80_000);
    expect((await ws.rack(['channel', 'verify', '--channels', ws.channels])).code).toBe(0);
  });

  it('refuses a template over 1,000,000 bytes at publish, naming it and its size, and writes nothing', async () => {
    const file = path.join(ws.root, 'huge.yaml');
    await writeFile(file, await templateOf(1_000_001));
    const before = await snapshot(ws.channels);
    const result = await publish(file);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `Error: The template ${file} is 1,000,001 bytes; CloudFormation takes at most 1,000,000 bytes of template, even through S3, so 3.0.0 cannot be published with it.`,
    );
    expect(await snapshot(ws.channels)).toEqual(before);
  });

  it('takes exactly 1,000,000 bytes', async () => {
    const file = path.join(ws.root, 'limit.yaml');
    await writeFile(file, await templateOf(1_000_000));
    expect((await publish(file)).code).toBe(0);
  });

  it('verify reports a catalog template over 1,000,000 bytes by its file and size', async () => {
    const file = path.join(ws.root, 'limit.yaml');
    await writeFile(file, await templateOf(1_000_000));
    expect((await publish(file)).code).toBe(0);
    // Grown after it was published, its digest updated with it: only the size is wrong.
    const published = path.join(ws.channels, 'templates/rack-3.0.0.yaml');
    const before = await readFile(published);
    const after = Buffer.concat([before, Buffer.from('#\n')]);
    await writeFile(published, after);
    const catalog = path.join(ws.channels, 'catalog.yaml');
    await writeFile(catalog, (await readFile(catalog, 'utf8')).replace(sha256(before), sha256(after)));

    const result = await ws.rack(['channel', 'verify', '--channels', ws.channels]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /channels\/catalog\.yaml:\d+: releases\[\d+\]\.template: templates\/rack-3\.0\.0\.yaml is 1,000,002 bytes; CloudFormation takes at most 1,000,000 bytes of template, even through S3\n/,
    );
  });
});
