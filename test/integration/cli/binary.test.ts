import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runRack, runRackBinary } from '../../harness/runRack.js';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

describe('the rack binary', () => {
  it('is the file package.json names, and prints the package version', async () => {
    expect(pkg.bin.rack).toBe('dist/rack.cjs');
    const result = await runRackBinary(['--version'], {});
    expect(result).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('prints the same top-level help as the parser does (the build renders it)', async () => {
    const fromBinary = await runRackBinary(['--help'], {});
    const fromParser = await runRack(['--help']);
    expect(fromBinary.code).toBe(0);
    expect(fromBinary.stdout).toBe(fromParser.stdout);
    expect(fromBinary.stdout).toContain('Usage: rack <command> [options]');
  });

  it('shows help, not an error, when run without a command and without a terminal', async () => {
    const result = await runRackBinary([], { CI: 'true' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: rack <command> [options]');
  });

  it('prints no escape sequences without a terminal', async () => {
    for (const args of [['--help'], ['racks', '--help'], ['racks', 'list']]) {
      const result = await runRackBinary(args, { RACK_HOME: path.join(repoRoot, '.rack-test', 'no-escapes') });
      expect(result.stdout + result.stderr).not.toMatch(/\x1b\[/);
    }
  });

  it('exits 2 with a pointer to --help for an unknown command or option', async () => {
    const unknown = await runRackBinary(['frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown argument: frobnicate');
    expect(unknown.stderr).toContain('See `rack --help`.');
    const missing = await runRackBinary(['racks', 'add', 'x'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing required argument: stack');
  });

  it('prints a shell completion script', async () => {
    const result = await runRackBinary(['completion'], { SHELL: '/bin/bash' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('rack');
    expect(result.stdout).toContain('complete');
  });

  it('writes one JSON document on stdout for an error with --json', async () => {
    const result = await runRackBinary(['racks', 'show', 'nope', '--json'], {
      RACK_HOME: path.join(repoRoot, '.rack-test', 'json-error'),
    });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { kind: 'usage', exitCode: 2 } });
  });
});
