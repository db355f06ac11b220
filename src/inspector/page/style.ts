// The page's style sheet, served as /app.css.
export const PAGE_STYLE = `
:root { --bg: #f7f7f5; --panel: #fff; --ink: #1d1f21; --dim: #6b7075; --line: #e2e2de; --accent: #2f5fd0;
  --ok: #1f7a3d; --warn: #a55b00; --bad: #b3261e; --sleep: #5b5fa8; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); height: 100vh; display: flex; flex-direction: column; }
header { display: flex; align-items: center; gap: 14px; padding: 8px 14px; background: #1d2330; color: #e8ebf0; }
h1 { font-size: 15px; margin: 0; font-weight: 600; letter-spacing: .2px; }
h2 { font-size: 13px; margin: 14px 0 6px; color: var(--dim); text-transform: uppercase; letter-spacing: .5px; }
h3 { font-size: 13px; margin: 12px 0 4px; }
.conn { font-size: 12px; padding: 1px 8px; border-radius: 9px; background: #555; }
.conn.live { background: var(--ok); } .conn.down { background: var(--bad); }
.totals { color: #c5cbd6; flex: 1; }
.cluster { font-size: 12px; padding: 1px 8px; border-radius: 9px; background: #33405a; color: #dfe6f3; }
.login { display: flex; gap: 8px; align-items: center; padding: 10px 14px; background: #fff6e0; border-bottom: 1px solid var(--line); }
.login[hidden] { display: none; }
.login input { width: 22em; padding: 3px 6px; }
.controls { display: flex; gap: 8px; padding: 8px 14px; border-bottom: 1px solid var(--line); background: var(--panel); align-items: center; }
.controls input[type=search] { width: 26em; padding: 4px 6px; }
.shown { color: var(--dim); margin-left: auto; }
main { flex: 1; display: flex; min-height: 0; }
.tree-pane { flex: 3; overflow: auto; padding: 8px 6px 20px 10px; }
.side { flex: 2; overflow: auto; padding: 4px 14px 20px; border-left: 1px solid var(--line); background: var(--panel); min-width: 360px; }
.node .children { margin-left: 18px; border-left: 1px dotted var(--line); padding-left: 2px; }
.row { display: flex; gap: 10px; align-items: baseline; padding: 2px 6px; border-radius: 4px; cursor: pointer; white-space: nowrap; }
.row:hover { background: #eef1f8; } .row.selected { background: #dfe7fb; }
.toggle { width: 16px; border: 0; background: none; padding: 0; cursor: pointer; color: var(--dim); }
.supervisor > .row .id { font-weight: 600; }
.id { font-family: ui-monospace, Menlo, Consolas, monospace; }
.badge { font-size: 11px; padding: 0 6px; border-radius: 8px; background: #e6e6e2; }
.status-running { background: #dcf1e3; color: var(--ok); } .status-restarting { background: #fdebd3; color: var(--warn); }
.status-passivated { background: #e5e6f7; color: var(--sleep); } .status-stopping, .status-stopped { background: #f6dcda; color: var(--bad); }
.strategy, .counts, .inc, .rate, .queue, .restarts, .intensity { color: var(--dim); font-size: 12px; }
.hot { color: var(--warn); font-weight: 600; }
.tag { font-size: 11px; padding: 0 5px; border: 1px solid var(--line); border-radius: 3px; color: var(--dim); }
.reason { color: var(--bad); font-size: 12px; overflow: hidden; text-overflow: ellipsis; }
.more { color: var(--dim); padding: 2px 28px; font-style: italic; }
.show-more { margin-left: 10px; font-style: normal; border: 1px solid #c9ccd3; border-radius: 4px; background: #f4f5f7; cursor: pointer; }
.hint { color: var(--dim); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.facts dt { color: var(--dim); }
.facts dd { margin: 0; }
.path { font-family: ui-monospace, Menlo, Consolas, monospace; text-transform: none; color: var(--ink); letter-spacing: 0; font-size: 14px; }
.actions { display: flex; gap: 6px; margin: 10px 0 4px; flex-wrap: wrap; }
.actions button { padding: 3px 10px; border: 1px solid #c9ccd3; border-radius: 4px; background: #f4f5f7; cursor: pointer; }
.actions button[data-action=kill] { border-color: #e2a7a2; color: var(--bad); }
.result.ok { color: var(--ok); } .result.refused { color: var(--bad); font-weight: 600; }
pre { background: #f3f4f6; border: 1px solid var(--line); border-radius: 4px; padding: 8px; overflow: auto; max-height: 320px; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; margin: 4px 0; }
.crash-reason { color: var(--bad); margin: 2px 0; }
ol.crashes, ol.timeline { list-style: none; padding: 0; margin: 0; }
.crashes li summary { cursor: pointer; display: flex; gap: 8px; }
.crashes .stack { max-height: 180px; }
.details .stack { max-height: 150px; }
.details .state { max-height: 240px; }
.pool { margin: 4px 0 10px; } .pool-head { display: flex; gap: 10px; align-items: baseline; }
ul.pool-nodes { list-style: none; padding: 0 0 0 12px; margin: 2px 0; }
.pool-node { display: flex; gap: 10px; align-items: baseline; }
.pool-keys { font: 12px ui-monospace, Menlo, Consolas, monospace; color: var(--dim); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.timeline li { display: flex; gap: 8px; padding: 1px 0; cursor: pointer; align-items: baseline; }
time { color: var(--dim); font: 11px ui-monospace, Menlo, Consolas, monospace; }
.subject { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: nowrap; }
.detail { color: var(--dim); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.badge.kind-crash, .badge.kind-exit, .badge.kind-shutdown, .badge.kind-restartFailed { background: #f6dcda; color: var(--bad); }
.badge.kind-restart { background: #fdebd3; color: var(--warn); } .badge.kind-transfer { background: #dde6fb; color: var(--accent); }
`
