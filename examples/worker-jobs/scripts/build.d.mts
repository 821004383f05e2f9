/** Builds dist/server.js, dist/cli.js and dist/demo.js into `outdir`; returns it. */
export declare function buildPrograms(outdir?: string): Promise<string>;
