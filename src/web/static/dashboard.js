// Live agent rows on /dashboard, fed by the GET /events stream. The page is
// complete without this script; it only keeps the table current. Rows are built
// with textContent, never innerHTML: names and server_ids come from agents.
(function () {
  'use strict';
  var table = document.getElementById('agents');
  var empty = document.getElementById('agents-empty');
  var status = document.getElementById('live-status');
  if (!table || !empty || !window.EventSource) return;
  var tbody = table.tBodies[0];

  function formatTime(iso) {
    return iso.slice(0, 19).replace('T', ' ') + ' UTC';
  }

  function cell(row, content) {
    var td = document.createElement('td');
    if (content) td.appendChild(content);
    row.appendChild(td);
    return td;
  }

  function text(value) {
    return document.createTextNode(value);
  }

  function render(agents) {
    var rows = document.createDocumentFragment();
    agents.forEach(function (agent) {
      var tr = document.createElement('tr');
      tr.dataset.agentId = agent.id;
      var link = document.createElement('a');
      link.href = '/agents/' + encodeURIComponent(agent.id);
      link.textContent = agent.name;
      cell(tr, link);
      var code = document.createElement('code');
      code.textContent = agent.server_id || '—';
      cell(tr, code);
      cell(tr, text(agent.status));
      var badge = document.createElement('span');
      badge.className = 'badge ' + (agent.online ? 'online' : 'offline');
      badge.textContent = agent.online ? 'online' : 'offline';
      cell(tr, badge);
      if (agent.last_seen_at) {
        var time = document.createElement('time');
        time.dateTime = agent.last_seen_at;
        time.textContent = formatTime(agent.last_seen_at);
        cell(tr, time);
      } else {
        cell(tr, text('never'));
      }
      if (agent.firing > 0) {
        var alerts = document.createElement('a');
        alerts.className = 'alert-count';
        alerts.href = '/alerts';
        alerts.dataset.firing = String(agent.firing);
        alerts.textContent = agent.firing + ' firing';
        cell(tr, alerts);
      } else {
        cell(tr);
      }
      rows.appendChild(tr);
    });
    tbody.replaceChildren(rows);
    table.hidden = agents.length === 0;
    empty.hidden = agents.length !== 0;
  }

  var source = new EventSource('/events');
  source.addEventListener('agents', function (event) {
    render(JSON.parse(event.data).agents);
    status.textContent = 'Live: updated ' + formatTime(new Date().toISOString());
    document.body.dataset.live = 'connected';
  });
  source.addEventListener('error', function () {
    status.textContent = 'Live updates paused; reconnecting…';
    document.body.dataset.live = 'reconnecting';
  });
})();
