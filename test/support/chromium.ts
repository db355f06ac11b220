import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-quic',
  '--disable-component-update',
  '--disable-sync'
]

/** Where the `chromium` command is (or CHROMIUM_PATH); throws naming the package when there is none. */
export function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH
  if (given) return given
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim()
    if (found) return found
  } catch {
    // not on PATH: say so below
  }
  throw new Error(
    "Chromium is missing: the inspector's browser tests drive a real headless Chromium (Debian's `chromium` package) " +
      'through playwright-core. Install it with `apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium binary.'
  )
}

/** A headless Chromium with a fresh profile directory (and `args` besides the usual flags); `close()` ends it and removes the directory. */
export async function launchChromium(args: readonly string[] = []): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = chromiumPath()
  const profile = mkdtempSync(join(tmpdir(), 'keepsake-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [...FLAGS, ...args],
      viewport: { width: 1280, height: 760 }
    })
    return {
      context,
      close: async () => {
        await context.close()
        rmSync(profile, { recursive: true, force: true })
      }
    }
  } catch (error) {
    rmSync(profile, { recursive: true, force: true })
    throw error
  }
}
