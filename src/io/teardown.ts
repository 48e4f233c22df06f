/**
 * What the process must undo if it has to stop now — a second Ctrl-C, an unhandled error: release the rack
 * locks it holds, delete the change sets it made and did not execute. Operations register each as they take
 * it and unregister it when they let it go; only the bin entry runs them, with a deadline.
 */
export interface Teardown {
  /** Registers `undo`; returns the function that unregisters it. */
  add(name: string, undo: () => Promise<void>): () => void;
  /** Runs everything registered at once and waits at most `withinMs` for it. */
  run(withinMs: number): Promise<void>;
  /** The redactor of the command running, so that a last-resort message shows no secret either. */
  redact: (text: string) => string;
}

export function createTeardown(): Teardown {
  const pending = new Map<symbol, { name: string; undo: () => Promise<void> }>();
  return {
    redact: (text) => text,
    add(name, undo) {
      const id = Symbol(name);
      pending.set(id, { name, undo });
      return () => void pending.delete(id);
    },
    async run(withinMs) {
      const all = [...pending.values()];
      pending.clear();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(all.map((entry) => entry.undo())),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, withinMs);
        }),
      ]);
      if (timer) clearTimeout(timer);
    },
  };
}
