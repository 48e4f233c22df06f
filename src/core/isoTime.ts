/** A time as rack writes it into files and manifests: ISO 8601, UTC, whole seconds ("2025-03-01T12:00:00Z"). */
export const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z');
