// The room's live claims on /rooms/:id: a `claims` snapshot from the room stream at every (re)connection,
// then one `claim` event per change; the time left ticks here and an expired claim leaves at its expiry.
// Built with textContent, never innerHTML: resources, names and notes come from agents.
(function () {
  'use strict';
  var list = document.getElementById('claims');
  if (!list) return;
  var none = document.getElementById('no-claims');
  // Server time minus this clock, so "time left" follows the server's expires_at.
  var skew = Date.parse(list.dataset.serverTime) - Date.now() || 0;
  var claims = new Map();

  function timeLeft(seconds) {
    if (seconds <= 0) return 'expiring';
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = Math.floor(seconds % 60);
    var pad = function (n) {
      return (n < 10 ? '0' : '') + n;
    };
    if (h > 0) return h + 'h ' + pad(m) + 'm left';
    if (m > 0) return m + 'm ' + pad(s) + 's left';
    return s + 's left';
  }

  function item(claim) {
    var li = document.createElement('li');
    li.dataset.claimId = claim.id;
    li.dataset.expiresAt = claim.expires_at;
    var resource = document.createElement('code');
    resource.className = 'resource';
    resource.textContent = claim.resource;
    var mode = document.createElement('span');
    mode.className = 'mode';
    mode.textContent = claim.mode;
    var holder = document.createElement('strong');
    holder.className = 'holder';
    holder.textContent = claim.holder.name;
    var kind = document.createElement('span');
    kind.className = 'muted';
    kind.textContent = '(' + (claim.holder.type === 'agent' ? 'agent' : 'person') + ')';
    var left = document.createElement('span');
    left.className = 'time-left';
    li.append(resource, ' ', mode, ' · held by ', holder, ' ', kind, ' · ', left);
    if (claim.note) {
      var note = document.createElement('span');
      note.className = 'note muted';
      note.textContent = ' — ' + claim.note;
      li.append(' ', note);
    }
    return li;
  }

  function render() {
    var now = Date.now() + skew;
    var sorted = Array.from(claims.values()).sort(function (a, b) {
      return a.created_at < b.created_at ? -1 : 1;
    });
    var items = [];
    sorted.forEach(function (claim) {
      var id = claim.id;
      var seconds = Math.ceil((Date.parse(claim.expires_at) - now) / 1000);
      if (seconds <= 0) return void claims.delete(id);
      var li = list.querySelector('li[data-claim-id="' + CSS.escape(id) + '"]');
      if (!li || li.dataset.expiresAt !== claim.expires_at) li = item(claim);
      li.querySelector('.time-left').textContent = timeLeft(seconds);
      items.push(li);
    });
    list.replaceChildren.apply(list, items);
    if (none) none.hidden = items.length > 0;
  }

  // What the page was rendered with, until the stream's snapshot replaces it.
  JSON.parse(list.dataset.claims || '[]').forEach(function (claim) {
    claims.set(claim.id, claim);
  });

  var source = window.agenthubRoomStream;
  if (source) {
    source.addEventListener('claims', function (event) {
      var snapshot = JSON.parse(event.data);
      skew = Date.parse(snapshot.server_time) - Date.now() || skew;
      claims = new Map();
      snapshot.claims.forEach(function (claim) {
        claims.set(claim.id, claim);
      });
      render();
    });
    source.addEventListener('claim', function (event) {
      var update = JSON.parse(event.data);
      if (update.change === 'created' || update.change === 'renewed') claims.set(update.claim.id, update.claim);
      else claims.delete(update.claim.id);
      render();
    });
  }
  setInterval(function () {
    if (list.children.length > 0) render();
  }, 1000);
})();
