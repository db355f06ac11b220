/** Where and how a run happened: numbers from different machines, modes or sources don't compare. */
export interface Environment {
    readonly date: string;
    readonly node: string;
    readonly cpu: string;
    readonly cores: number;
    readonly xstate: string;
    /** The commit of the measured src/, and whether src/ differed from it. */
    readonly source: string;
    readonly gcExposed: boolean;
    readonly quick: boolean;
}
export declare function describeEnvironment(quick: boolean): Environment;
