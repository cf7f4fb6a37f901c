/** Argument parsers shared by every `twingym` command, so a bad flag reads the same everywhere. */
import { InvalidArgumentError } from 'commander';

/** A commander parser for an integer flag of at least `min`. */
export function intArg(name: string, min = 1): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

/** A commander parser for a strictly positive number flag. */
export function positiveArg(name: string): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0)) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}
