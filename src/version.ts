import pkg from '../package.json' with { type: 'json' };

/** This tool's own version; releases may require a minimum (`minCli`). */
export const RACK_VERSION: string = pkg.version;
