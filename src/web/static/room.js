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

  // The server's mention rule (src/modules/rooms/mentions.ts): @name after a start, space or punctuation.
  var MENTION = /(?<![\p{L}\p{N}_@/])@([a-z0-9][a-z0-9._-]*)/giu;

  // The body as text nodes, the agents it mentions (and @room) in <mark>: never HTML from the message.
  function fillBody(element, message) {
    var named = {};
    (message.mentions || []).forEach(function (m) {
      named[m.name.toLowerCase()] = true;
    });
    var body = message.body;
    var at = 0;
    body.replace(MENTION, function (match, token, offset) {
      var name = token.toLowerCase();
      if (!named[name]) name = name.replace(/[._-]+$/, '');
      if (!named[name] && name !== 'room') return match;
      if (offset > at) element.append(body.slice(at, offset));
      var mark = document.createElement('mark');
      mark.className = 'mention';
      mark.textContent = body.slice(offset, offset + 1 + name.length);
      element.append(mark);
      at = offset + 1 + name.length;
      return match;
    });
    if (at < body.length) element.append(body.slice(at));
  }

  // Present when the person may post here: the reply form every thread carries, with an empty seq.
  var replyTemplate = document.getElementById('reply-form');

  function countText(count) {
    return count === 0 ? 'Reply' : count + (count === 1 ? ' reply' : ' replies');
  }

  function shownCount(details) {
    return Number((details.querySelector('summary').textContent.match(/^\d+/) || ['0'])[0]);
  }

  function replyForm(seq) {
    var form = replyTemplate.content.firstElementChild.cloneNode(true);
    form.querySelector('input[name="reply_to_seq"]').value = String(seq);
    form.querySelector('label').htmlFor = 'reply-' + seq;
    form.querySelector('textarea').id = 'reply-' + seq;
    return form;
  }

  function threadOf(seq, count) {
    var details = document.createElement('details');
    details.className = 'thread';
    details.dataset.threadSeq = String(seq);
    var summary = document.createElement('summary');
    summary.textContent = countText(count);
    var replies = document.createElement('ol');
    replies.className = 'replies';
    details.append(summary, replies);
    if (replyTemplate) details.append(replyForm(seq));
    watchThread(details);
    return details;
  }

  // Replies stay in seq order, whichever arrives first (the thread read or the live stream).
  function placeReply(replies, message) {
    if (replies.querySelector('li[data-seq="' + message.seq + '"]')) return false;
    var next = Array.prototype.find.call(replies.children, function (li) {
      return Number(li.dataset.seq) > message.seq;
    });
    replies.insertBefore(item(message, true), next || null);
    return true;
  }

  // A thread's replies, from GET ...?thread=<seq> (oldest first); the count follows what is shown.
  function loadReplies(details) {
    var url = '/api/v1/rooms/' + encodeURIComponent(roomId) + '/messages?limit=200&thread=' + details.dataset.threadSeq;
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('thread ' + res.status);
        return res.json();
      })
      .then(function (page) {
        var replies = details.querySelector('.replies');
        page.messages.forEach(function (message) {
          if (message.reply_to_seq !== null) placeReply(replies, message);
        });
        details.querySelector('summary').textContent = countText(
          Math.max(shownCount(details), replies.children.length),
        );
      });
  }

  // Replies are read when a thread is first opened.
  function watchThread(details) {
    details.addEventListener('toggle', function () {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = 'true';
      loadReplies(details).catch(function () {
        delete details.dataset.loaded;
      });
    });
  }

  // A live reply goes under its parent (shown when the thread is open), and the parent's count grows once.
  function addReply(message) {
    var parent = list.querySelector('li[data-seq="' + message.reply_to_seq + '"]');
    if (!parent) return;
    var details = parent.querySelector('details.thread');
    if (!details) {
      details = threadOf(message.reply_to_seq, 0);
      parent.appendChild(details);
    }
    if (!placeReply(details.querySelector('.replies'), message)) return;
    details.querySelector('summary').textContent = countText(shownCount(details) + 1);
  }

  function showReplyError(form, text) {
    var alert = form.querySelector('.alert');
    if (!alert) {
      alert = document.createElement('p');
      alert.className = 'alert';
      alert.setAttribute('role', 'alert');
      form.appendChild(alert);
    }
    alert.textContent = text;
    alert.hidden = !text;
  }

  // A reply posts its form in the background: the form route answers 303 (stored) or a page explaining why not,
  // whose alert is shown by the form. The thread is then read again, so the reply shows without the live stream.
  list.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.classList.contains('reply')) return;
    event.preventDefault();
    var details = form.closest('details.thread');
    var button = form.querySelector('button');
    button.disabled = true;
    showReplyError(form, '');
    fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      redirect: 'manual',
      body: new URLSearchParams(new FormData(form)),
    })
      .then(function (res) {
        if (res.type === 'opaqueredirect' || res.ok) {
          form.querySelector('textarea').value = '';
          details.dataset.loaded = 'true';
          return loadReplies(details);
        }
        return res.text().then(function (text) {
          var alert = new DOMParser().parseFromString(text, 'text/html').querySelector('[role="alert"]');
          showReplyError(form, alert ? alert.textContent : 'The reply was not sent (' + res.status + ').');
        });
      })
      .catch(function () {
        showReplyError(form, 'The reply was not sent: check the connection and try again.');
      })
      .finally(function () {
        button.disabled = false;
      });
  });

  list.querySelectorAll('details.thread').forEach(watchThread);

  function item(message, isReply) {
    var li = document.createElement('li');
    li.id = 'seq-' + message.seq;
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
    fillBody(body, message);
    li.append(meta, body);
    if (!isReply && (message.reply_count > 0 || replyTemplate)) li.append(threadOf(message.seq, message.reply_count));
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
            if (message.reply_to_seq === null) list.insertBefore(item(message), list.firstChild);
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
    if (message.reply_to_seq !== null && message.reply_to_seq !== undefined) return addReply(message);
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
