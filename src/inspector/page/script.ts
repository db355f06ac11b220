// The page's script: plain DOM, no library (a tree, a few lists and a form
// don't pay for one), kept as a string so the package build ships it inside
// the module. Every piece of data reaches the page through textContent,
// never as markup. (It uses no template literals, so it can live in this one.)
export const PAGE_SCRIPT = String.raw`'use strict'
;(function () {
  var $ = function (id) { return document.getElementById(id) }
  var ui = {
    conn: $('conn'), cluster: $('cluster'), totals: $('totals'), login: $('login'), token: $('token'), loginResult: $('login-result'),
    filter: $('filter'), status: $('status'), sort: $('sort'), shown: $('shown'),
    tree: $('tree'), details: $('details'), crashes: $('crashes'), timeline: $('timeline'),
    pools: $('pools'), poolsTitle: $('pools-title')
  }
  var page = {
    source: null, instance: null, view: null, limit: 100, index: new Map(), supervisors: [], actions: false,
    selected: null, collapsed: new Set(), timeline: [], lastSeq: 0,
    detail: null, stateBusy: false, result: null,
    // A pool's keys by node, as last asked (GET /api/pools), by pool name: { census } or { error }.
    poolKeys: new Map()
  }

  // ---- the session ----------------------------------------------------------
  // With a token, the page trades it once for a session cookie (HttpOnly,
  // SameSite=Strict) that its requests and its stream carry: the token never
  // goes in a URL, and the script never holds the session.

  function start() {
    // The token may come in the fragment (never sent to a server, never logged); it leaves the address bar at once.
    var fragment = /(?:^#|&)token=([^&]*)/.exec(location.hash)
    if (fragment) {
      history.replaceState(null, '', location.pathname + location.search)
      return openSession(decodeURIComponent(fragment[1]))
    }
    fetch('/api/session').then(function (res) { return res.json() }).then(function (answer) {
      if (answer.required && !answer.session) askToken('')
      else connect()
    }, function () { setConn('down', 'unreachable') })
  }
  function askToken(why) {
    if (page.source) page.source.close()
    page.source = null
    setConn('down', 'needs the token')
    ui.login.hidden = false
    ui.loginResult.textContent = why
    ui.token.focus()
  }
  function openSession(token) {
    fetch('/api/session', { method: 'POST', headers: { Authorization: 'Bearer ' + token } }).then(function (res) {
      if (!res.ok) return askToken(res.status === 401 ? 'refused: that is not the token' : 'refused (' + res.status + ')')
      ui.token.value = ''
      ui.login.hidden = true
      connect()
    }, function (error) { askToken(String(error)) })
  }
  ui.login.addEventListener('submit', function (e) {
    e.preventDefault()
    openSession(ui.token.value)
  })
  // An answer of 401: the session ended (the inspector restarted, or more sessions were opened since).
  function refused(res) {
    if (res.status === 401) askToken('the session ended: the token again, please')
    return res.status === 401
  }

  function el(tag, className, text) {
    var node = document.createElement(tag)
    if (className) node.className = className
    if (text !== undefined && text !== null) node.textContent = String(text)
    return node
  }
  function num(n) { return Number(n).toLocaleString('en-US') }
  function rate(n) { return (n >= 10 ? Math.round(n) : Math.round(n * 10) / 10) + ' msg/s' }
  function clock(at) {
    var d = new Date(at)
    var pad = function (n, w) { return String(n).padStart(w || 2, '0') }
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3)
  }
  function reasonText(reason) { return reason.name + ': ' + reason.message }

  // ---- the live stream ------------------------------------------------------

  function connect() {
    if (page.source) page.source.close()
    var params = new URLSearchParams({ q: ui.filter.value, status: ui.status.value, sort: ui.sort.value, limit: String(page.limit) })
    var source = new EventSource('/api/events?' + params)
    page.source = source
    source.onopen = function () { setConn('live', 'live') }
    source.onerror = function () {
      setConn('down', 'reconnecting…')
      // Refused (not dropped): EventSource gives up; find out whether the session ended.
      if (source.readyState === EventSource.CLOSED && page.source === source) {
        setTimeout(function () { if (page.source === source) start() }, 1000)
      }
    }
    source.addEventListener('hello', function (e) {
      var hello = JSON.parse(e.data)
      // Another inspector on this address (it was restarted): its timeline starts again.
      if (page.instance && page.instance !== hello.instance) {
        page.timeline = []
        page.lastSeq = 0
      }
      page.instance = hello.instance
      page.actions = hello.actions
    })
    source.addEventListener('timeline', function (e) {
      var entries = JSON.parse(e.data)
      for (var i = 0; i < entries.length; i++) {
        if (entries[i].seq <= page.lastSeq) continue
        page.timeline.push(entries[i])
        page.lastSeq = entries[i].seq
      }
      if (page.timeline.length > 300) page.timeline.splice(0, page.timeline.length - 300)
      renderTimeline()
    })
    source.addEventListener('view', function (e) {
      page.view = JSON.parse(e.data)
      render()
    })
  }
  function setConn(kind, text) {
    ui.conn.className = 'conn ' + kind
    ui.conn.textContent = text
  }

  var typing = null
  ui.filter.addEventListener('input', function () {
    // A new filter starts again from a page of 100 rows per supervisor.
    page.limit = 100
    clearTimeout(typing)
    typing = setTimeout(connect, 200)
  })
  ui.status.addEventListener('change', connect)
  ui.sort.addEventListener('change', connect)

  // ---- the tree -------------------------------------------------------------

  function render() {
    var view = page.view
    page.index = new Map()
    page.supervisors = []
    var t = view.totals
    var parts = [num(t.supervisors) + ' supervisors', num(t.branches) + ' branches']
    var statuses = ['running', 'restarting', 'passivated', 'stopping', 'stopped']
    for (var i = 0; i < statuses.length; i++) if (t.byStatus[statuses[i]]) parts.push(num(t.byStatus[statuses[i]]) + ' ' + statuses[i])
    parts.push(rate(t.rate), num(t.queued) + ' queued')
    ui.totals.textContent = parts.join(' · ')
    var c = view.cluster
    ui.cluster.hidden = !c
    if (c) {
      ui.cluster.textContent = 'node ' + c.node + ' of ' + c.cluster + ' · ' + c.nodes.length + ' live: ' + c.nodes.join(', ') + ' · ' + num(c.heldCount) + ' names held' +
        (c.pools && c.pools.length ? ' · ' + c.pools.length + ' pools' : '')
      ui.cluster.title = c.held.join('\n') + (c.heldCount > c.held.length ? '\n…' : '')
    }
    renderPools(c && c.pools ? c.pools : [])
    ui.shown.textContent = 'showing ' + num(view.shown) + ' nodes; ' + num(view.matched) + ' branches match'
    var fragment = document.createDocumentFragment()
    for (var r = 0; r < view.roots.length; r++) fragment.appendChild(nodeElement(view.roots[r]))
    if (view.roots.length === 0) fragment.appendChild(el('p', 'hint', 'Nothing to show: no live tree matches.'))
    ui.tree.replaceChildren(fragment)
    renderDetails()
  }

  function nodeElement(node) {
    page.index.set(node.key, node)
    if (node.kind === 'supervisor' && node.children) page.supervisors.push(node)
    var box = el('div', 'node ' + node.kind)
    box.setAttribute('role', 'treeitem')
    box.dataset.key = node.key
    box.dataset.path = node.path
    box.dataset.status = node.status
    if (node.incarnation !== undefined) box.dataset.incarnation = node.incarnation
    var row = el('div', 'row' + (page.selected === node.key ? ' selected' : ''))
    var open = !page.collapsed.has(node.key)
    if (node.children) {
      var toggle = el('button', 'toggle', open ? '▾' : '▸')
      toggle.title = open ? 'collapse' : 'expand'
      toggle.addEventListener('click', function (e) {
        e.stopPropagation()
        if (page.collapsed.has(node.key)) page.collapsed.delete(node.key)
        else page.collapsed.add(node.key)
        render()
      })
      row.appendChild(toggle)
    } else {
      row.appendChild(el('span', 'toggle'))
    }
    row.appendChild(el('span', 'id', node.id))
    row.appendChild(el('span', 'badge status-' + node.status, node.status))
    if (node.kind === 'supervisor') {
      if (node.strategy) row.appendChild(el('span', 'strategy', node.strategy))
      if (node.intensity) row.appendChild(intensity(node.intensity))
      if (node.restarts) row.appendChild(el('span', 'restarts', 'restarted ' + num(node.restarts) + '×'))
      if (node.counts) row.appendChild(el('span', 'counts', counts(node.counts)))
    } else if (node.kind === 'branch') {
      if (node.durable) row.appendChild(el('span', 'tag', 'durable'))
      if (node.isolation) row.appendChild(el('span', 'tag', node.isolation))
      row.appendChild(el('span', 'inc', '#' + node.incarnation))
      var restarts = node.restarts + node.workerRestarts
      row.appendChild(el('span', 'restarts' + (restarts ? ' hot' : ''), num(restarts) + ' restarts'))
      if (node.intensity) row.appendChild(intensity(node.intensity))
      row.appendChild(el('span', 'rate', rate(node.rate)))
      row.appendChild(el('span', 'queue' + (node.queued ? ' hot' : ''), 'mailbox ' + num(node.queued)))
      if (node.lastCrash) {
        var reason = el('span', 'reason', reasonText(node.lastCrash.reason))
        reason.title = 'worker #' + node.lastCrash.incarnation + ' at ' + clock(node.lastCrash.at)
        row.appendChild(reason)
      }
    } else if (node.restarts) {
      row.appendChild(el('span', 'restarts', 'restarted ' + num(node.restarts) + '×'))
    }
    row.tabIndex = 0
    row.addEventListener('click', function () { select(node.key) })
    row.addEventListener('keydown', function (e) { if (e.key === 'Enter') select(node.key) })
    box.appendChild(row)
    if (node.children && open) {
      var list = el('div', 'children')
      for (var i = 0; i < node.children.length; i++) list.appendChild(nodeElement(node.children[i]))
      if (node.hidden) list.appendChild(more(node.hidden))
      box.appendChild(list)
    } else if (node.children) {
      collect(node.children)
    }
    return box
  }
  // Children left out: say how many, and offer more rows per supervisor (up to the server's 1,000).
  function more(hidden) {
    var line = el('div', 'more', '… ' + num(hidden) + ' more: filter or sort to find them')
    if (page.limit < 1000) {
      var button = el('button', 'show-more', 'show ' + Math.min(1000, page.limit * 2) + ' per supervisor')
      button.addEventListener('click', function () {
        page.limit = Math.min(1000, page.limit * 2)
        connect()
      })
      line.appendChild(button)
    }
    return line
  }

  // A collapsed supervisor's supervisors still count as transfer targets.
  function collect(children) {
    for (var i = 0; i < children.length; i++) {
      var child = children[i]
      page.index.set(child.key, child)
      if (child.kind === 'supervisor' && child.children) {
        page.supervisors.push(child)
        collect(child.children)
      }
    }
  }
  function intensity(use) {
    var left = Math.max(0, use.maxRestarts - use.inWindow)
    var node = el('span', 'intensity' + (left === 0 ? ' hot' : ''), left + '/' + use.maxRestarts + ' left in ' + use.maxSeconds + 's')
    node.title = use.inWindow + ' restarts in the intensity window'
    return node
  }
  function counts(c) {
    var parts = []
    for (var status in c) if (c[status]) parts.push(num(c[status]) + ' ' + status)
    return parts.join(' · ') || 'no branches'
  }

  // ---- the selected node ----------------------------------------------------

  function select(key) {
    page.selected = key
    page.result = null
    page.detail = null
    render()
  }

  // The panel's parts are made once per selection and updated in place, so a
  // choice in progress (the transfer target, an open stack) survives updates.
  function renderDetails() {
    var node = page.selected && page.index.get(page.selected)
    if (!node) {
      // Selected from the timeline, or filtered out since: say so once, keep what was shown otherwise.
      if (page.selected && !page.detail) ui.details.replaceChildren(el('p', 'hint', 'That node is not in the view: it stopped, or the filter hides it.'))
      return
    }
    var d = page.detail
    if (!d || d.key !== node.key) {
      d = page.detail = {
        key: node.key, path: el('h2', 'path'), facts: el('dl', 'facts'), actions: el('div', 'actions'),
        result: el('p', 'result'), crash: el('div', 'last-crash'), state: null, actionsSig: null, crashAt: null
      }
      var parts = [d.path, d.facts, d.actions, d.result, d.crash]
      if (node.kind === 'branch') {
        d.state = el('pre', 'state', 'loading…')
        d.state.id = 'state'
        parts.push(el('h3', null, 'State'), d.state)
      }
      ui.details.replaceChildren.apply(ui.details, parts)
    }
    d.path.textContent = node.path
    var facts = []
    var fact = function (name, value) { facts.push(el('dt', null, name), el('dd', null, value)) }
    fact('kind', node.kind)
    fact('status', node.status)
    if (node.restart) fact('restart type', node.restart)
    if (node.strategy) fact('strategy', node.strategy)
    if (node.incarnation !== undefined) fact('worker', '#' + node.incarnation + ' (' + num(node.workerRestarts) + ' worker restarts, ' + num(node.restarts) + ' by its supervisor)')
    if (node.intensity) fact('intensity', node.intensity.inWindow + ' of ' + node.intensity.maxRestarts + ' restarts used in ' + node.intensity.maxSeconds + 's')
    if (node.rate !== undefined) fact('messages', rate(node.rate) + ', mailbox ' + num(node.queued))
    if (node.kind === 'branch') {
      fact('state kept', node.durable ? 'durable (' + node.durable.mode + ', ' + node.durable.durability + ' writes)' : 'in memory')
      fact('worker runs', node.isolation === 'thread' ? 'in a worker thread' : node.isolation === 'process' ? 'in a child process' : 'in this thread')
      fact('passivates', node.idleTimeout === undefined ? 'never' : 'after ' + num(node.idleTimeout) + ' ms idle')
    }
    d.facts.replaceChildren.apply(d.facts, facts)
    var sig = [page.actions, node.status, node.parent].concat(page.supervisors.map(function (s) { return s.key })).join('|')
    if (sig !== d.actionsSig) {
      d.actionsSig = sig
      d.actions.replaceChildren()
      if (page.actions) fillActions(d.actions, node)
    }
    d.result.hidden = !page.result
    if (page.result) {
      d.result.className = 'result ' + page.result.kind
      d.result.textContent = page.result.text
    }
    var crash = node.lastCrash
    if (crash && crash.at !== d.crashAt) {
      d.crashAt = crash.at
      var parts2 = [
        el('h3', null, 'Last crash (worker #' + crash.incarnation + ', ' + clock(crash.at) + ')'),
        el('p', 'crash-reason', reasonText(crash.reason))
      ]
      if (crash.reason.stack) parts2.push(el('pre', 'stack', crash.reason.stack))
      d.crash.replaceChildren.apply(d.crash, parts2)
    }
    if (d.state) loadState(node.key)
  }

  function loadState(key) {
    if (page.stateBusy) return
    page.stateBusy = true
    fetch('/api/state?key=' + encodeURIComponent(key)).then(function (res) {
      if (refused(res)) return ''
      return res.json().then(function (body) {
        if (!res.ok) return body.error
        return JSON.stringify(body.state, null, 2) + (body.truncated ? '\n\n(cut to the inspector\'s limits)' : '')
      })
    }).then(function (text) {
      page.stateBusy = false
      var d = page.detail
      if (d && d.key === key && d.state && d.state.textContent !== text) d.state.textContent = text
    }, function () { page.stateBusy = false })
  }

  function fillActions(bar, node) {
    var button = function (label, name, body) {
      var b = el('button', 'action', label)
      b.dataset.action = name
      b.addEventListener('click', function () { act(Object.assign({ action: name, key: node.key }, body || {})) })
      bar.appendChild(b)
    }
    if (node.kind === 'branch') button('Kill worker', 'kill')
    if (node.parent && node.status !== 'stopped') button('Terminate', 'terminate')
    if (node.parent && node.status === 'stopped') button('Restart', 'restart')
    if (node.kind === 'branch' && node.parent) {
      var targets = el('select', 'transfer-to')
      targets.setAttribute('aria-label', 'transfer to')
      for (var i = 0; i < page.supervisors.length; i++) {
        var s = page.supervisors[i]
        if (s.key === node.parent) continue
        var option = el('option', null, s.path)
        option.value = s.key
        targets.appendChild(option)
      }
      if (targets.options.length > 0) {
        bar.appendChild(targets)
        var move = el('button', 'action', 'Transfer')
        move.dataset.action = 'transfer'
        move.addEventListener('click', function () { act({ action: 'transfer', key: node.key, to: targets.value }) })
        bar.appendChild(move)
      }
    }
  }

  function act(body) {
    fetch('/api/actions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(function (res) {
      if (refused(res)) return
      return res.json().then(function (answer) {
        page.result = res.ok ? { kind: 'ok', text: answer.done } : { kind: 'refused', text: answer.error }
        renderDetails()
      })
    }, function (error) {
      page.result = { kind: 'refused', text: String(error) }
      renderDetails()
    })
  }

  // ---- cluster pools ----------------------------------------------------------
  // Keys per node from the heartbeats, in every update; which keys, on demand
  // (the placement records, read by the inspector's node).

  function renderPools(pools) {
    ui.pools.hidden = ui.poolsTitle.hidden = pools.length === 0
    var fragment = document.createDocumentFragment()
    for (var i = 0; i < pools.length; i++) fragment.appendChild(poolElement(pools[i]))
    ui.pools.replaceChildren(fragment)
  }

  function poolElement(pool) {
    var box = el('div', 'pool')
    box.dataset.pool = pool.name
    var head = el('div', 'pool-head')
    head.appendChild(el('span', 'id', pool.name))
    head.appendChild(el('span', 'counts', num(pool.keys) + ' keys on ' + pool.nodes.length + ' nodes'))
    var ask = el('button', 'show-more', 'keys by node')
    ask.addEventListener('click', function () { loadPoolKeys(pool.name) })
    head.appendChild(ask)
    box.appendChild(head)
    var loaded = page.poolKeys.get(pool.name)
    var byNode = new Map()
    if (loaded && loaded.census) for (var p = 0; p < loaded.census.placements.length; p++) {
      var group = loaded.census.placements[p]
      if (group.live) byNode.set(group.node, group.keys)
    }
    var list = el('ul', 'pool-nodes')
    for (var n = 0; n < pool.nodes.length; n++) {
      var load = pool.nodes[n]
      var item = el('li', 'pool-node')
      item.dataset.node = load.node
      item.appendChild(el('span', 'id', load.node))
      item.appendChild(el('span', 'counts', num(load.keys) + ' keys'))
      if (load.overloaded) item.appendChild(el('span', 'badge status-restarting', 'overloaded'))
      if (byNode.has(load.node)) item.appendChild(el('span', 'pool-keys', byNode.get(load.node).join(', ')))
      list.appendChild(item)
    }
    box.appendChild(list)
    if (loaded && loaded.error) box.appendChild(el('p', 'result refused', loaded.error))
    if (loaded && loaded.census) {
      var c = loaded.census
      var dead = c.placements.filter(function (g) { return !g.live })
      for (var d = 0; d < dead.length; d++) box.appendChild(el('p', 'hint', 'dead placements on ' + dead[d].node + ' (replaced on their next message): ' + dead[d].keys.join(', ')))
      box.appendChild(el('p', 'hint', num(c.read) + ' placement records read at ' + clock(loaded.at) + (c.truncated ? ' (more not read)' : '')))
    }
    return box
  }

  function loadPoolKeys(name) {
    fetch('/api/pools?name=' + encodeURIComponent(name)).then(function (res) {
      if (refused(res)) return
      return res.json().then(function (body) {
        page.poolKeys.set(name, res.ok ? { census: body, at: Date.now() } : { error: body.error })
        if (page.view) render()
      })
    }, function (error) {
      page.poolKeys.set(name, { error: String(error) })
      if (page.view) render()
    })
  }

  // ---- crashes and the timeline ---------------------------------------------

  function renderTimeline() {
    var crashes = document.createDocumentFragment()
    var timeline = document.createDocumentFragment()
    var shownCrashes = 0
    for (var i = page.timeline.length - 1; i >= 0; i--) {
      var entry = page.timeline[i]
      if (entry.reason && shownCrashes < 20) {
        shownCrashes++
        var item = el('li', 'crash')
        var details = el('details')
        var summary = el('summary')
        summary.appendChild(el('time', null, clock(entry.at)))
        summary.appendChild(el('span', 'subject', entry.subject))
        summary.appendChild(el('span', 'reason', reasonText(entry.reason)))
        details.appendChild(summary)
        details.appendChild(el('pre', 'stack', entry.reason.stack || '(no stack)'))
        item.appendChild(details)
        crashes.appendChild(item)
      }
      if (page.timeline.length - i <= 100) {
        var line = el('li', 'entry kind-' + entry.kind)
        line.appendChild(el('time', null, clock(entry.at)))
        line.appendChild(el('span', 'badge kind-' + entry.kind, entry.kind))
        line.appendChild(el('span', 'subject', entry.subject))
        line.appendChild(el('span', 'detail', entry.detail))
        if (entry.key) line.addEventListener('click', select.bind(null, entry.key))
        timeline.appendChild(line)
      }
    }
    ui.crashes.replaceChildren(crashes)
    ui.timeline.replaceChildren(timeline)
  }

  start()
})()
`
