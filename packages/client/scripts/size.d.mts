/** Largest allowed gzip size of everything `@duplex/client` exports, `binary` included, superjson excluded. */
export declare const BUDGET_GZIP_BYTES: number;

/** Largest allowed gzip size of an app that makes calls and subscriptions. */
export declare const CALLS_BUDGET_GZIP_BYTES: number;

/** The measured entries: an app's source, by name. */
export declare const ENTRIES: Record<string, string>;

/** One measured bundle. */
export interface BundleSize {
  name: string;
  /** Its gzip budget in bytes, if it has one. */
  budget: number | undefined;
  minified: number;
  gzip: number;
  /** The source files that left code in the bundle, relative to packages/client (`src/…`, `../core/src/…`). */
  modules: string[];
}

/** Bundles `contents` for the browser (esbuild, minified, `external` left out) and returns its sizes in bytes. */
export declare function measureBundle(
  contents: string,
  options?: { resolveDir?: string; external?: string[] },
): Promise<Omit<BundleSize, 'name' | 'budget'>>;

/** Bundles each entry and returns its minified and gzip sizes in bytes. */
export declare function measureClientBundle(): Promise<BundleSize[]>;
