import { availableParallelism } from 'node:os';

/**
 * LanceDB sizes its CPU thread pool by the core count. On this project's 2-core machines, building the
 * full-text index of a table past about 25,000 rows hung (0 % CPU, never returned) seven times in a row, with the
 * ICU and the simple tokenizer alike, until the pool got 3 threads or more (100k rows then index in 2 s). It did
 * not recur later with 2 threads either, so the cause is not pinned down; a larger pool costs nothing here and
 * has never hung. The pool reads LANCE_CPU_THREADS when it starts, at the first LanceDB call, so setting it here,
 * imported before anything opens a table, is enough. A value the operator sets wins.
 */
export const LANCE_MIN_CPU_THREADS = 4;
process.env.LANCE_CPU_THREADS ??= String(Math.max(LANCE_MIN_CPU_THREADS, availableParallelism()));
