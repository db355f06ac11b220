import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { branchSpec, call, cast, startDynamicSupervisor, startSupervisor, supervisorSpec, whereis, type AnyBranch, type Supervisor } from '../../src/index'
import { startInspector, type Inspector } from '../../src/inspector'
import { launchChromium } from '../support/chromium'
import { device, startTree } from './tree'

// A real headless Chromium (Debian's package) on the real page. Fails, naming
// Chromium, when it is not installed.

const TOKEN = 'browser-token-0123456789abcdef'
let browser: Awaited<ReturnType<typeof launchChromium>>
const cleanups: (() => Promise<void>)[] = []

beforeAll(async () => {
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
})

/** Errors the page threw or logged (a script error, a refused policy): none is expected. */
const pageErrors: string[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  expect(pageErrors.splice(0)).toEqual([])
})

async function newPage(): Promise<Page> {
  const page = await browser.context.newPage()
  cleanups.push(() => page.close())
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  page.on('console', (message) => {
    // A refused action answers 401/403, which Chromium logs as a failed resource: that one is expected.
    if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) pageErrors.push(message.text())
  })
  return page
}

async function open(suffix: string, options: Parameters<typeof startInspector>[0] = {}, hash = ''): Promise<{ root: Supervisor; inspector: Inspector; page: Page }> {
  const root = await startTree(suffix)
  cleanups.push(() => root.stop())
  const inspector = await startInspector({ root, ...options })
  cleanups.push(() => inspector.close())
  const page = await newPage()
  await page.goto(inspector.url + hash)
  await page.locator('#conn.live').waitFor()
  return { root, inspector, page }
}

const row = (page: Page, path: string) => page.locator(`[data-path="${path}"] > .row`)
const branch = (name: string) => whereis(name) as AnyBranch

describe('inspector page', () => {
  it('lists a three-level tree with strategies, statuses and intensity', async () => {
    const { page } = await open('tree')
    await row(page, 'app-tree/devices/sensor-2').waitFor()
    expect(await row(page, 'app-tree').textContent()).toContain('one_for_one')
    expect(await row(page, 'app-tree/devices').textContent()).toMatch(/running.*one_for_all.*5\/5 left in 5s.*2 running/)
    expect(await row(page, 'app-tree/spare').textContent()).toContain('rest_for_one')
    const sensor = await row(page, 'app-tree/devices/sensor-1').textContent()
    expect(sensor).toMatch(/sensor-1.*running.*#1.*0 restarts.*1000\/1000 left in 10s.*0 msg\/s.*mailbox 0/)
    expect(await page.locator('#totals').textContent()).toContain('3 supervisors · 3 branches · 3 running')
  })

  it('shows a killed worker restarted, with the crash reason, within a second', async () => {
    const { page } = await open('kill')
    await page.locator('[data-path="app-kill/devices/sensor-2"][data-incarnation="1"]').waitFor()
    const killedAt = Date.now()
    branch('sensor-2-kill').kill(new Error('pulled the plug'))
    await page
      .locator('[data-path="app-kill/devices/sensor-2"][data-incarnation="2"][data-status="running"] > .row .reason', { hasText: 'Error: pulled the plug' })
      .waitFor({ timeout: 1000 })
    expect(Date.now() - killedAt).toBeLessThan(1000)
    await page.locator('#timeline li.kind-crash', { hasText: 'pulled the plug' }).waitFor({ timeout: 1000 })
    await page.locator('#crashes .reason', { hasText: 'Error: pulled the plug' }).waitFor({ timeout: 1000 })
  })

  it('shows a branch state with its secrets hidden by default, and its last crash with the stack, its paths relative', async () => {
    const { page } = await open('state')
    await call('clock-state', { type: 'read' })
    await expect(call('clock-state', { type: 'fail' })).rejects.toThrow()
    await row(page, 'app-state/clock').click()
    const state = page.locator('#state', { hasText: '"readings": 1' })
    await state.waitFor()
    const text = (await state.textContent()) ?? ''
    expect(JSON.parse(text)).toEqual({ readings: 1, apiKey: '[redacted]', owner: { name: 'ada', password: '[redacted]' } })
    expect(await page.content()).not.toMatch(/hunter2|SECRET/)
    await page.locator('.details .crash-reason', { hasText: 'Error: sensor returned NaN' }).waitFor()
    expect(await page.locator('.details .facts').textContent()).toMatch(/state keptin memory.*worker runsin this thread.*passivatesnever/)
    const stack = (await page.locator('.details .stack').textContent()) ?? ''
    expect(stack).toContain('sensor returned NaN')
    expect(stack).toMatch(/\(test\/inspector\/tree\.ts:\d+:\d+\)/)
    expect(await page.content()).not.toContain(process.cwd())
  })

  it('asks for the token before it shows anything, refuses a wrong one, then kills a worker with the button', async () => {
    const root = await startTree('button')
    cleanups.push(() => root.stop())
    const inspector = await startInspector({ root, token: TOKEN })
    cleanups.push(() => inspector.close())
    const page = await newPage()
    await page.goto(inspector.url)
    await page.locator('#login').waitFor()
    await page.locator('#conn', { hasText: 'needs the token' }).waitFor()
    expect(await page.locator('.node').count()).toBe(0)

    await page.locator('#token').fill('not-the-token-at-all-000')
    await page.locator('#login button').click()
    await page.locator('#login-result', { hasText: 'refused: that is not the token' }).waitFor()
    expect(await page.locator('.node').count()).toBe(0)

    await page.locator('#token').fill(TOKEN)
    await page.locator('#login button').click()
    await page.locator('#conn.live').waitFor()
    expect(await page.locator('#login').isHidden()).toBe(true)
    await row(page, 'app-button/devices/sensor-1').click()
    const kill = page.locator('.details button[data-action="kill"]')
    expect(branch('sensor-1-button').children()[1]).toMatchObject({ incarnation: 1 })
    await kill.click()
    await page.locator('.details .result.ok', { hasText: 'killed worker #1 of sensor-1' }).waitFor()
    await page.locator('[data-path="app-button/devices/sensor-1"][data-incarnation="2"] > .row .reason', { hasText: 'killed from the inspector' }).waitFor()
    expect(branch('sensor-1-button').children()[1]).toMatchObject({ incarnation: 2 })
  })

  it('takes the token from the address fragment, and drops it from the address bar', async () => {
    const { page } = await open('fragment', { token: TOKEN }, `#token=${TOKEN}`)
    expect(page.url()).not.toContain(TOKEN)
    await row(page, 'app-fragment/devices/sensor-2').click()
    await page.locator('.details button[data-action="transfer"]').waitFor()
    await page.locator('.details select.transfer-to').selectOption({ label: 'app-fragment/spare' })
    await page.locator('.details button[data-action="transfer"]').click()
    await page.locator('.details .result.ok', { hasText: 'moved sensor-2 from devices to spare' }).waitFor()
    await row(page, 'app-fragment/spare/sensor-2').waitFor()
    await page.locator('#timeline li.kind-transfer', { hasText: 'moved from devices to spare' }).waitFor()
  })

  it('hides the actions of a read-only inspector', async () => {
    const { page } = await open('readonly')
    await row(page, 'app-readonly/clock').click()
    await page.locator('#state', { hasText: 'readings' }).waitFor()
    expect(await page.locator('.details button').count()).toBe(0)
    expect(await page.locator('#login').isHidden()).toBe(true)
  })

  it('stays usable with 10,000 branches: a page of rows, and the filter finds one', async () => {
    const pool = await startDynamicSupervisor({ id: 'fleet' })
    cleanups.push(() => pool.stop())
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => pool.startChild(branchSpec({ id: `w-${i}`, branch: { logic: device } }))))
    const inspector = await startInspector({ root: pool })
    cleanups.push(() => inspector.close())
    const page = await newPage()
    await page.goto(inspector.url)
    await page.locator('.more', { hasText: '… 9,900 more' }).waitFor()
    expect(await page.locator('.node').count()).toBe(101)
    expect(await page.locator('#totals').textContent()).toContain('10,000 branches · 10,000 running')
    await page.locator('button.show-more').click()
    await page.locator('.more', { hasText: '… 9,800 more' }).waitFor()
    expect(await page.locator('.node').count()).toBe(201)
    await page.locator('#filter').fill('w-7777')
    await row(page, 'fleet/w-7777').waitFor()
    await page.locator('#shown', { hasText: '1 branches match' }).waitFor()
    expect(await page.locator('.node.branch').count()).toBe(1)
  }, 60_000)

  it('takes the README screenshot (docs/inspector.png, rewritten by npm run screenshot)', async () => {
    const app = await startSupervisor({
      id: 'plant',
      children: [
        supervisorSpec({
          supervisor: {
            id: 'sensors',
            strategy: 'one_for_all',
            maxRestarts: 10,
            children: ['thermometer', 'hygrometer', 'barometer'].map((id) => branchSpec({ id, branch: { logic: device, name: `${id}-shot` } }))
          }
        }),
        supervisorSpec({
          supervisor: { id: 'printers', strategy: 'one_for_one', children: Array.from({ length: 8 }, (_, i) => branchSpec({ id: `printer-${i + 1}`, branch: { logic: device, name: `printer-${i + 1}-shot` } })) }
        }),
        branchSpec({ id: 'scheduler', branch: { logic: device, name: 'scheduler-shot' } })
      ]
    })
    cleanups.push(() => app.stop())
    const inspector = await startInspector({ root: app, token: TOKEN })
    cleanups.push(() => inspector.close())
    // Load while the picture is taken: a timer driving traffic, not a wait.
    const load = setInterval(() => {
      for (let i = 0; i < 12; i++) cast('hygrometer-shot', { type: 'read' })
      for (let i = 0; i < 3; i++) cast('printer-3-shot', { type: 'read' })
    }, 50)
    cleanups.push(async () => clearInterval(load))
    const page = await newPage()
    await page.goto(`${inspector.url}#token=${TOKEN}`)
    await page.locator('#conn.live').waitFor()
    await expect(call('printer-5-shot', { type: 'fail' })).rejects.toThrow()
    branch('scheduler-shot').kill(new Error('clock skew beyond 5 s'))
    await row(page, 'plant/printers/printer-5').click()
    await page.locator('#state', { hasText: '[redacted]' }).waitFor()
    await page.locator('[data-path="plant/sensors/hygrometer"] > .row .rate', { hasText: /^[1-9]/ }).waitFor({ timeout: 10_000 })
    await page.locator('#timeline li.kind-crash', { hasText: 'clock skew' }).waitFor()
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.locator('#crashes .reason', { hasText: 'clock skew' }).waitFor()
    // Written over the committed picture only when asked (npm run screenshot), so a test run leaves the tree clean.
    const path = process.env.UPDATE_SCREENSHOT ? fileURLToPath(new URL('../../docs/inspector.png', import.meta.url)) : undefined
    expect(await page.content()).not.toContain(process.cwd())
    const png = await page.screenshot(path ? { path } : {})
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    expect(png.readUInt32BE(16)).toBe(1280) // the IHDR width: the whole viewport was taken
  })
})
