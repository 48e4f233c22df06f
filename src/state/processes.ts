/**
 * Processes on this machine, as locks, history entries and the file store's write locks name them: whether
 * one still runs what it ran. Kept apart from the lock (and its schema) so that the file store, which every
 * command loads at start-up, needs nothing more.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** A process as locks and history entries name it: its host, pid and start time (to tell a reused pid). */
export interface ProcessRef {
  host: string;
  pid: number;
  start?: string;
}

/** How a process on this machine is looked at (injectable for tests). */
export interface ProcessProbe {
  /** Whether a process on this machine is alive. */
  isAlive?: (pid: number) => boolean;
  /** The start time of a process on this machine, to tell a reused pid. */
  processStart?: (pid: number) => string | undefined;
}

export function thisProcess(): ProcessRef {
  const start = linuxProcessStart(process.pid);
  return { host: os.hostname(), pid: process.pid, ...(start ? { start } : {}) };
}

/**
 * Why a process on this machine no longer runs what it ran — gone, or its pid now another program's;
 * undefined while it runs, and for a process on another machine (which this one cannot see).
 */
export function processGone(ref: ProcessRef, probe: ProcessProbe = {}): string | undefined {
  if (ref.host !== os.hostname()) return undefined;
  if (!(probe.isAlive ?? processIsAlive)(ref.pid)) return `process ${ref.pid} on this machine is gone`;
  const start = (probe.processStart ?? linuxProcessStart)(ref.pid);
  if (ref.start && start && start !== ref.start) return `process ${ref.pid} on this machine is now another program`;
  return undefined;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined where there
 * is no /proc. The command name (field 2) may hold spaces and parentheses, so fields count from its last ')'.
 */
function linuxProcessStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The user running rack on this machine, as locks and history entries name them. */
export function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
