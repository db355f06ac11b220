// Checks the built package's inspector, as a user gets it: both formats start,
// serve the page, its script and the view of a tree. Run after `npm run build`.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { fromTransition } from 'xstate'
import { branchSpec, startSupervisor } from '../../dist/index.js'
import { startInspector } from '../../dist/inspector.js'

const require = createRequire(import.meta.url)
const cjs = { ...require('../../dist/index.cjs'), ...require('../../dist/inspector.cjs') }
const logic = fromTransition((n) => n + 1, 0)

// Each format with its own classes (a CJS program's tree comes from the CJS index).
for (const keepsake of [{ branchSpec, startSupervisor, startInspector }, cjs]) {
  const root = await keepsake.startSupervisor({ id: 'dist', children: [keepsake.branchSpec({ id: 'one', branch: { logic } })] })
  const inspector = await keepsake.startInspector({ root })
  try {
    const page = await fetch(inspector.url)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<title>keepsake inspector<\/title>/)
    const script = await (await fetch(new URL('app.js', inspector.url))).text()
    assert.match(script, /new EventSource\('\/api\/events\?'/)
    assert.ok((await (await fetch(new URL('app.css', inspector.url))).text()).length > 500)
    const view = await (await fetch(new URL('api/view', inspector.url))).json()
    assert.equal(view.roots[0].path, 'dist')
    assert.equal(view.roots[0].children[0].path, 'dist/one')
  } finally {
    await inspector.close()
  }
  // With a token, the tree is not served without it.
  const guarded = await keepsake.startInspector({ root, token: 'package-token-0123456789' })
  try {
    assert.equal((await fetch(new URL('api/view', guarded.url))).status, 401)
    const view = await fetch(new URL('api/view', guarded.url), { headers: { Authorization: 'Bearer package-token-0123456789' } })
    assert.equal(view.status, 200)
  } finally {
    await guarded.close()
    await root.stop()
  }
}
console.log('dist inspector: ESM and CJS serve the page and the tree, and keep it behind a token')
