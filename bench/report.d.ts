import type { Environment } from './environment';
import type { Measure } from './stats';
/** A goal from issue 5 or 6, judged on this run's numbers. */
export interface Target {
    readonly text: string;
    readonly met: boolean;
}
/** One line of a group's table: keepsake, and usually the floor it is held against. */
export interface Row {
    readonly name: string;
    readonly unit: 'time' | 'bytes';
    readonly subject: Measure;
    readonly floor: Measure | undefined;
    /** subject p50 / floor p50: how many times the floor's cost (>1 is slower or bigger). */
    readonly ratio: number | undefined;
    readonly target: Target | undefined;
    /** A reference figure for the same line from ../shared/ANCHOR-FIGURES.md (not measured here). */
    readonly anchor: string | undefined;
}
export interface Group {
    readonly id: string;
    readonly title: string;
    readonly rows: readonly Row[];
    /** What the reader needs to know to read the table (sizes, how the spread is taken). */
    readonly notes: readonly string[];
    /** Whose anchor figures the last column holds (default: Peeper's). */
    readonly anchorTitle?: string;
    /** Numbers the rows do not hold (executions counted, bytes per build), for results.json. */
    readonly figures?: Readonly<Record<string, number>>;
}
/** Part of a group: its rows and the notes that explain them. */
export interface Section {
    readonly rows: Row[];
    readonly notes: string[];
}
export interface RowSpec {
    readonly name: string;
    readonly unit?: 'time' | 'bytes';
    readonly subject: Measure;
    readonly floor?: Measure;
    /** Judges the finished row; leave out for lines without a goal. */
    readonly target?: (row: {
        ratio: number | undefined;
        subject: Measure;
    }) => Target;
    readonly anchor?: string;
}
export declare function row(spec: RowSpec): Row;
/** Goal: at most `limit` times the floor's p50. */
export declare function ratioAtMost(limit: number): NonNullable<RowSpec['target']>;
/** Goal: a size under `limitBytes`. */
export declare function bytesUnder(limitBytes: number): NonNullable<RowSpec['target']>;
/** Goal: a p50 under `limitMs`. */
export declare function p50Under(limitMs: number): NonNullable<RowSpec['target']>;
export declare function formatTime(ms: number): string;
export declare function formatBytes(bytes: number): string;
/** `p50 …, p99 …` of a time measure, for notes. */
export declare function describeTimes(m: Measure): string;
/** Every group's table, its notes, and a closing list of targets met and missed. */
export declare function markdown(env: Environment, groups: readonly Group[]): string;
