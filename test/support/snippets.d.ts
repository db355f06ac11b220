/** The repository's root. */
export declare const root: string;
/** Each public entry point, and the source file it is built from. */
export declare const entries: Record<string, string>;
/** The ```ts blocks of a Markdown file (path relative to the root), in order. */
export declare function snippets(file: string): string[];
/** README.md and every docs/*.md: the files whose snippets are programs. */
export declare function documents(): string[];
/**
 * Type-checks snippets as a user's project would: each one an ES module
 * (`.mts`) under strict `module: nodenext`, importing `keepsake` (and its
 * subpaths) as declarations emitted from the sources. A snippet that augments
 * a module (`declare module 'keepsake'`) is compiled alone, so its
 * augmentation types no other snippet. Resolves with each snippet's errors.
 */
export declare function typecheckSnippets(dir: string, named: ReadonlyMap<string, string>): Promise<Map<string, string[]>>;
