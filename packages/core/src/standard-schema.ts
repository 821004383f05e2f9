/**
 * The Standard Schema v1 interface (https://standardschema.dev), copied as its spec asks, so any
 * compliant validator (zod 4, valibot, arktype) can type a procedure without a dependency here.
 */
export interface StandardSchemaV1<TInput = unknown, TOutput = TInput> {
  readonly '~standard': StandardSchemaV1.Props<TInput, TOutput>;
}

// biome-ignore lint/style/noNamespace: the spec's own shape
export declare namespace StandardSchemaV1 {
  export interface Props<TInput = unknown, TOutput = TInput> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<TOutput> | Promise<Result<TOutput>>;
    readonly types?: Types<TInput, TOutput> | undefined;
  }
  export type Result<TOutput> = SuccessResult<TOutput> | FailureResult;
  export interface SuccessResult<TOutput> {
    readonly value: TOutput;
    readonly issues?: undefined;
  }
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  export interface Types<TInput = unknown, TOutput = TInput> {
    readonly input: TInput;
    readonly output: TOutput;
  }
  export type InferInput<TSchema extends StandardSchemaV1> = NonNullable<TSchema['~standard']['types']>['input'];
  export type InferOutput<TSchema extends StandardSchemaV1> = NonNullable<TSchema['~standard']['types']>['output'];
}
