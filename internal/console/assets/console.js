// openswf console: reload the live part of an execution page every second,
// without reloading the page (forms keep what is typed in them).
(function () {
  'use strict';
  var live = document.getElementById('live');
  if (!live) {
    return;
  }
  var src = live.getAttribute('data-src');
  var status = document.getElementById('live-status');
  var busy = false;
  function tick() {
    if (busy) {
      return;
    }
    busy = true;
    fetch(src, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'text/html' } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error('HTTP ' + r.status);
        }
        return r.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        live.setAttribute('data-updated', String(Date.now()));
        status.textContent = 'live';
      })
      .catch(function (e) {
        status.textContent = 'not updating (' + e.message + '); retrying';
      })
      .then(function () {
        busy = false;
      });
  }
  setInterval(tick, 1000);
}());
