/**
 * Names handed to a source come from channel files (a release's template location, a migration's
 * version), so a hostile or careless file must not reach outside the channels or migrations directory.
 */
import { refused } from '../errors.js';

/** 'templates/rack-1.0.0.yaml' → ['templates', 'rack-1.0.0.yaml']; refuses absolute paths and '..'. */
export function channelPathSegments(relPath: string): string[] {
  const unsafe = () =>
    refused(`The path "${relPath}" is not inside the channels directory.`, {
      untouched: 'Nothing was read.',
      next: 'Use a path relative to the channels directory, without "..", such as templates/rack-1.0.0.yaml.',
    });
  // Backslashes and drive letters would be separators or roots on Windows; GitHub paths never need them.
  if (relPath.startsWith('/') || relPath.includes('\\') || /^[A-Za-z]:/.test(relPath) || relPath.includes('\0')) {
    throw unsafe();
  }
  const segments = relPath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0 || segments.includes('..')) throw unsafe();
  return segments;
}

/** Same, for a directory: '' or undefined is the channels directory itself. */
export function channelDirSegments(relDir: string | undefined): string[] {
  if (relDir === undefined || relDir === '' || relDir === '.') return [];
  return channelPathSegments(relDir);
}

/** A migration is a plain file name in migrations/, e.g. '1.2.0.yaml'. */
export function migrationFileName(name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw refused(`"${name}" is not a migration file name.`, {
      untouched: 'Nothing was read.',
      next: 'Name a file directly in the migrations directory, such as 1.2.0.yaml.',
    });
  }
  return name;
}
