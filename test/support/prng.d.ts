/** A seeded PRNG (mulberry32): the same seed replays the same run. */
export declare function prng(seed: number): () => number;
/** An integer in [0, n). */
export declare function pick(random: () => number, n: number): number;
