// The page's markup; its script and style are served beside it (/app.js,
// /app.css) so the Content-Security-Policy can forbid inline code.
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keepsake inspector</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>keepsake inspector</h1>
  <span id="conn" class="conn">connecting…</span>
  <span id="cluster" class="cluster" hidden></span>
  <span id="totals" class="totals"></span>
</header>
<form id="login" class="login" hidden>
  <label>This inspector needs its token: <input id="token" type="password" autocomplete="off" spellcheck="false" aria-label="token"></label>
  <button type="submit">Open</button>
  <span id="login-result" class="result refused"></span>
</form>
<nav class="controls">
  <input id="filter" type="search" placeholder="filter by path, e.g. devices/sensor" aria-label="filter by path">
  <select id="status" aria-label="status">
    <option value="">every status</option>
    <option value="running">running</option>
    <option value="restarting">restarting</option>
    <option value="passivated">passivated</option>
    <option value="stopping">stopping</option>
    <option value="stopped">stopped</option>
    <option value="crashed">crashed (since the inspector started)</option>
  </select>
  <select id="sort" aria-label="order">
    <option value="start">start order</option>
    <option value="rate">busiest first (messages/s)</option>
    <option value="queue">longest mailbox first</option>
    <option value="restarts">most restarts first</option>
  </select>
  <span id="shown" class="shown"></span>
</nav>
<main>
  <section class="tree-pane"><div id="tree" role="tree"></div></section>
  <section class="side">
    <div id="details" class="details"><p class="hint">Select a branch to see its state, its last crash and what you can do with it.</p></div>
    <h2 id="pools-title" hidden>Cluster pools</h2>
    <div id="pools" class="pools" hidden></div>
    <h2>Last crashes</h2>
    <ol id="crashes" class="crashes"></ol>
    <h2>Timeline</h2>
    <ol id="timeline" class="timeline"></ol>
  </section>
</main>
</body>
</html>
`
