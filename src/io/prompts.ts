/**
 * Questions asked on a terminal. Only called when the context is interactive; a write that would
 * prompt without a terminal is refused earlier (see `requireConfirmation`).
 */
import type { Readable } from 'node:stream';
import type { Writer } from './logger.js';

export interface Prompts {
  confirm(question: string): Promise<boolean>;
  /** Asks for a value; `secret` hides what is typed (NoEcho parameters). */
  text(question: string, options?: { secret?: boolean }): Promise<string>;
}

export function createPrompts(stdin: Readable, stderr: Writer): Prompts {
  const ask = async (question: string, secret: boolean) => {
    // Loaded on first use: most runs never prompt, and start-up time matters.
    const { createInterface } = await import('node:readline');
    return new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: stdin, output: stderr as NodeJS.WritableStream, terminal: true });
      if (secret) {
        // readline echoes through _writeToOutput; swallowing it hides the typed characters.
        const internal = rl as unknown as { _writeToOutput: (s: string) => void };
        const original = internal._writeToOutput.bind(rl);
        internal._writeToOutput = (s: string) => {
          if (s.startsWith(question)) original(question);
          else if (s.includes('\n') || s.includes('\r')) original('\n');
        };
      }
      rl.once('SIGINT', () => {
        rl.close();
        reject(Object.assign(new Error('Interrupted at a prompt'), { interrupted: true }));
      });
      rl.question(question, (answer) => {
        rl.close();
        resolve(answer);
      });
    });
  };
  return {
    confirm: async (question) => /^y(es)?$/i.test((await ask(`${question} [y/N] `, false)).trim()),
    text: (question, options) => ask(question, options?.secret ?? false),
  };
}
