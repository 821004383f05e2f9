/** The value of `--name=value` among `args`, or undefined. */
export function argValue(args: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** `--name=N` as a positive integer, or undefined when absent or not one. */
export function positiveIntArg(args: readonly string[], name: string): number | undefined {
  const value = argValue(args, name);
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}
