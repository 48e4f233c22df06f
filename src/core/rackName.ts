/** What a rack may be called, one rule for the registry, `racks add`, `install` and discovery. */
export const RACK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export const RACK_NAME_RULE =
  'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63 characters';
