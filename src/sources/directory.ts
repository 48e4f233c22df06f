/**
 * A channels directory on disk: the one bundled with the package, or one named with --channels /
 * RACK_CHANNELS. Its migrations live in the `migrations/` directory beside it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { internalError, usageError } from '../errors.js';
import { channelDirSegments, channelPathSegments, migrationFileName } from './relativePath.js';
import type { ChannelSource } from './channelSource.js';

export interface DirectorySourceOptions {
  kind: 'bundled' | 'local';
  id: string;
  /** Absolute path of the channels directory. */
  channelsDir: string;
  description: string;
}

export async function openDirectorySource(options: DirectorySourceOptions): Promise<ChannelSource> {
  const { kind, id, channelsDir, description } = options;
  await requireDirectory(kind, channelsDir);
  const migrationsDir = path.join(path.dirname(channelsDir), 'migrations');
  return {
    description,
    kind,
    id,
    ...(kind === 'local' ? { writableDir: channelsDir } : {}),
    warnings: [],
    // async, so that a refused path is a rejected promise like any other failure to read.
    readChannelFile: async (relPath) => readFileIfPresent(path.join(channelsDir, ...channelPathSegments(relPath))),
    listChannelFiles: async (relDir) => listFiles(path.join(channelsDir, ...channelDirSegments(relDir))),
    readMigrationFile: async (name) => readFileIfPresent(path.join(migrationsDir, migrationFileName(name))),
    listMigrationFiles: () => listFiles(migrationsDir),
  };
}

async function requireDirectory(kind: 'bundled' | 'local', dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (stat?.isDirectory()) return;
  if (kind === 'bundled') {
    throw internalError(`The channels directory bundled with rack is missing (${dir}).`, {
      next: 'Reinstall rack, or name a channels directory with --channels <dir>.',
    });
  }
  throw usageError(
    stat ? `The channels source ${dir} is a file, not a directory.` : `The channels directory ${dir} does not exist.`,
    {
      next:
        'Check the path given with --channels or RACK_CHANNELS (a directory holding catalog.yaml and one file per ' +
        'channel, with migrations/ beside it), or leave both unset to use the channels bundled with rack.',
    },
  );
}

const absent = (error: NodeJS.ErrnoException) => ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(error.code ?? '');

async function readFileIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if (absent(error as NodeJS.ErrnoException)) return undefined;
    throw error;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if (absent(error as NodeJS.ErrnoException)) return [];
    throw error;
  }
  // stat, not the dirent type, so that a symlink to a file counts as the file it points to.
  const files = await Promise.all(
    names.map(async (name) =>
      (await fs.stat(path.join(dir, name)).catch(() => undefined))?.isFile() ? name : undefined,
    ),
  );
  return files.filter((name): name is string => name !== undefined).sort();
}
