/**
 * Promise helpers for the reads init database overlaps with its own work (the plan's audit counts
 * during the key check, the next token page during decryption): started early, awaited later.
 */

/** A promise whose rejection is handled where it is awaited, possibly later: not an unhandled rejection meanwhile. */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** The first call starts `f`; every call gets that one promise. */
export function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= quiet(f()));
}
