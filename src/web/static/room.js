// Live messages on /rooms/:id over GET /rooms/:id/stream, and older ones
// through the REST history endpoint. Messages are built with textContent,
// never innerHTML: bodies and names come from agents.
(function () {
  'use strict';
  var list = document.getElementById('messages');
  if (!list) return;
  var roomId = list.dataset.roomId;
  var names = JSON.parse(list.dataset.names || '{}');
  var status = document.getElementById('live-status');
  var older = document.getElementById('older');

  function formatTime(iso) {
    return iso.slice(0, 19).replace('T', ' ') + ' UTC';
  }

  function item(message) {
    var li = document.createElement('li');
    li.dataset.seq = String(message.seq);
    var meta = document.createElement('div');
    meta.className = 'meta';
    var who = document.createElement('strong');
    var id = message.sender_id;
    who.textContent = id ? names[id] || (message.sender_type || 'agent') + ' ' + id.slice(0, 8) : 'system';
    var time = document.createElement('time');
    time.dateTime = message.created_at;
    time.textContent = formatTime(message.created_at);
    meta.append(who, ' ', time);
    var body = document.createElement('p');
    body.className = 'body';
    body.textContent = message.body;
    li.append(meta, body);
    return li;
  }

  if (older) {
    older.addEventListener('click', function (event) {
      event.preventDefault();
      var query = new URLSearchParams({ cursor: older.dataset.cursor, limit: '50' });
      var url = '/api/v1/rooms/' + encodeURIComponent(roomId) + '/messages?' + query.toString();
      fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (res) {
          if (!res.ok) throw new Error('history ' + res.status);
          return res.json();
        })
        .then(function (page) {
          // Newest first from the API: each one goes above the ones already shown.
          page.messages.forEach(function (message) {
            list.insertBefore(item(message), list.firstChild);
          });
          if (page.next_cursor) older.dataset.cursor = page.next_cursor;
          else older.parentElement.remove();
        })
        .catch(function () {
          window.location.href = older.href;
        });
    });
  }

  if (list.dataset.latest !== 'true' || !window.EventSource) return;
  var query = list.dataset.lastSeq ? '?after_seq=' + encodeURIComponent(list.dataset.lastSeq) : '';
  var source = new EventSource('/rooms/' + encodeURIComponent(roomId) + '/stream' + query);
  // Other parts of the page (room-claims.js) listen on the same stream.
  window.agenthubRoomStream = source;
  source.addEventListener('open', function () {
    status.textContent = 'Live';
    document.body.dataset.live = 'connected';
  });
  source.addEventListener('message', function (event) {
    var message = JSON.parse(event.data);
    if (list.querySelector('li[data-seq="' + message.seq + '"]')) return;
    list.appendChild(item(message));
    var none = document.getElementById('no-messages');
    if (none) none.remove();
  });
  source.addEventListener('archived', function () {
    status.textContent = 'This room was archived.';
    source.close();
  });
  source.addEventListener('error', function () {
    status.textContent = 'Live updates paused; reconnecting…';
    document.body.dataset.live = 'reconnecting';
  });
})();
