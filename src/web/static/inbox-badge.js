// The layout's inbox badge: how many items addressed to the signed-in person wait unacknowledged.
(function () {
  'use strict';
  var badge = document.getElementById('inbox-badge');
  if (!badge || !window.fetch) return;
  fetch('/api/v1/inbox?limit=1', { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (res) {
      return res.ok ? res.json() : null;
    })
    .then(function (page) {
      if (page && page.pending > 0) {
        badge.textContent = String(page.pending);
        badge.setAttribute('aria-label', page.pending + ' unacknowledged');
      }
    })
    .catch(function () {
      // The badge is a hint; the inbox page has the truth.
    });
})();
