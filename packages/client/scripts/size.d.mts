/** Largest allowed gzip size of the whole `@duplex/client` entry, superjson excluded. */
export declare const BUDGET_GZIP_BYTES: number;

/** One measured bundle. */
export interface BundleSize {
  name: string;
  minified: number;
  gzip: number;
}

/** Bundles each entry and returns its minified and gzip sizes in bytes. */
export declare function measureClientBundle(): Promise<BundleSize[]>;
