/**
 * Text from outside in a catalog — release notes, yank reasons — is shown inert on a terminal (its control
 * characters and escape sequences removed), while --json keeps it as it is, escaped by JSON.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspace } from './fixtures.js';

/** A window title, a screen clear, a terminal reset and a hyperlink, as a hostile catalog could hold them. */
const HOSTILE = '\u001b]0;owned\u0007\u001b[2J\u001bc\u001b]8;;https://evil.example/\u001b\\click\u001b]8;;\u001b\\';
const ESC_OR_C1 = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

async function hostileCatalog() {
  const ws = await workspace();
  const file = path.join(ws.channels, 'catalog.yaml');
  const catalog = await readFile(file, 'utf8');
  // YAML's double-quoted strings spell ESC as \e and BEL as \a.
  const notes = 'Api logs go to CloudWatch Logs; new LogRetention parameter (days, default 7).';
  const hostile = `${notes} \\e]0;owned\\a\\e[2J\\ec\\e]8;;https://evil.example/\\e\\\\click\\e]8;;\\e\\\\ \\x9b31mred`;
  expect(catalog).toContain(notes);
  await writeFile(file, catalog.replace(notes, hostile));
  return { ws, notes: `${notes} ${HOSTILE} \u009b31mred` };
}

describe('release notes with escape sequences', () => {
  it('are shown without them by rack releases, and kept as they are by --json', async () => {
    const { ws, notes } = await hostileCatalog();
    const human = await ws.rack(['releases', '--channels', ws.channels]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).not.toMatch(ESC_OR_C1);
    expect(human.stdout).toMatch(
      /1\.1\.0 .*Api logs go to CloudWatch Logs; new LogRetention parameter \(days, default 7\)\. click red/,
    );

    const json = await ws.rack(['releases', '--channels', ws.channels, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(ESC_OR_C1);
    expect(json.stdout).toContain('\\u001b]0;owned\\u0007');
    expect(json.stdout).toContain('\\u009b31mred');
    expect(json.json().releases.find((r: { version: string }) => r.version === '1.1.0').notes).toBe(notes);
  });
});

describe('a yank reason with escape sequences', () => {
  it('is shown without them by rack channels and rack releases', async () => {
    const ws = await workspace();
    const yanked = await ws.rack([
      'channel',
      'yank',
      '1.1.0',
      '--reason',
      `api breaks ${HOSTILE}`,
      '--channels',
      ws.channels,
    ]);
    expect(yanked.code, yanked.stderr).toBe(0);
    expect(yanked.stdout + yanked.stderr).not.toMatch(ESC_OR_C1);
    for (const args of [['channels'], ['releases']]) {
      const shown = await ws.rack([...args, '--channels', ws.channels]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).not.toMatch(ESC_OR_C1);
      expect(shown.stdout).toContain('api breaks click');
    }
    const json = await ws.rack(['channels', '--channels', ws.channels, '--json']);
    expect(JSON.stringify(json.json())).toContain(JSON.stringify(`api breaks ${HOSTILE}`).slice(1, -1));
  });
});
