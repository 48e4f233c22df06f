import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/io/logger.js';

function capture() {
  const lines: string[] = [];
  return { lines, stderr: { write: (s: string) => lines.push(s) } };
}

describe('logger', () => {
  it('never prints a registered secret, whichever level logs it', () => {
    const { lines, stderr } = capture();
    const logger = createLogger({ stderr, json: false, debug: true });
    logger.addSecret('hunter2-secret');
    logger.info('password is hunter2-secret');
    logger.warn('again hunter2-secret!');
    logger.debug('and hunter2-secret');
    expect(lines.join('')).not.toContain('hunter2-secret');
    expect(lines.join('')).toContain('****');
  });

  it('masks the longer of two overlapping secrets whole', () => {
    const { lines, stderr } = capture();
    const logger = createLogger({ stderr, json: false, debug: false });
    logger.addSecret('abcd');
    logger.addSecret('abcdefgh');
    logger.info('x abcdefgh y');
    expect(lines.join('')).toBe('x **** y\n');
  });

  it('keeps --json runs quiet except for warnings', () => {
    const { lines, stderr } = capture();
    const logger = createLogger({ stderr, json: true, debug: false });
    logger.info('progress');
    logger.debug('detail');
    logger.warn('careful');
    expect(lines).toEqual(['Warning: careful\n']);
  });

  it('ignores masks as secrets, and masks a short secret where it stands as a token', () => {
    const { lines, stderr } = capture();
    const logger = createLogger({ stderr, json: false, debug: false });
    logger.addSecret('****');
    logger.addSecret('ab');
    logger.info('Password=ab, label: **** "ab"');
    expect(lines).toEqual(['Password=****, label: **** "****"\n']);
  });

  it('masks a secret added after the first line, and sanitizes what it prints', () => {
    const { lines, stderr } = capture();
    const logger = createLogger({ stderr, json: false, debug: false });
    logger.info('before s3cr3t-value');
    logger.addSecret('s3cr3t-value');
    logger.warn('reason: \u001b]0;owned\u0007s3cr3t-value\nnext line\u001b[2K');
    expect(lines).toEqual(['before s3cr3t-value\n', 'Warning: reason: ****\nnext line\n']);
  });
});
