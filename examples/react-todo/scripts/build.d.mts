/** Bundles the front end into `outdir` (default dist/public) and returns it. */
export declare function buildWeb(outdir?: string): Promise<string>;
/** Bundles the Node server into dist/server.js. */
export declare function buildServer(): Promise<void>;
