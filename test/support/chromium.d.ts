import { type BrowserContext } from 'playwright-core';
/** Where the `chromium` command is (or CHROMIUM_PATH); throws naming the package when there is none. */
export declare function chromiumPath(): string;
/** A headless Chromium with a fresh profile directory (and `args` besides the usual flags); `close()` ends it and removes the directory. */
export declare function launchChromium(args?: readonly string[]): Promise<{
    context: BrowserContext;
    close(): Promise<void>;
}>;
