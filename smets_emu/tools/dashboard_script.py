"""The dashboard pages' one script, served by the lab at ``/static/dashboard.js``.

- The live feed: ``<ul id="feed" data-src="/events...">`` is filled from an ``EventSource`` (alerts
  and WAN frames, newest first, at most ``data-rows`` lines, stamped with the lab's virtual time);
  ``#feed-status`` says whether it is connected (the browser reconnects by itself).
- Controls (the clock, faults): forms sent as JSON by :mod:`.form_script`.
"""

from __future__ import annotations

from smets_emu.tools.form_script import page_script

SCRIPT_PATH = "/static/dashboard.js"

_FEED = r"""  function line(kind, r) {
    var li = document.createElement('li');
    li.className = kind;
    li.setAttribute('data-kind', kind);
    if (r.device) li.setAttribute('data-device', r.device);
    if (r.message_code) li.setAttribute('data-message-code', r.message_code);
    var text;
    if (kind === 'alert') {
      text = r.time + ' alert ' + r.message_code + ' ' + (r.use_case || '') + ' from ' + r.device;
    } else {
      text = (r.virtual_time || r.time) + ' ' + (r.direction === 'in' ? '-> ' : '<- ') + r.kind + ' ' +
        (r.message_code || '') + ' ' + (r.use_case || '') + ' ' + (r.device || '') +
        ' (' + r.size + ' bytes, ' + r.peer + ')';
    }
    li.textContent = text;
    return li;
  }
  function feed(list) {
    var status = document.getElementById('feed-status');
    var rows = parseInt(list.getAttribute('data-rows') || '50', 10);
    var source = new EventSource(list.getAttribute('data-src'));
    function add(kind, event) {
      var record;
      try { record = JSON.parse(event.data); } catch (err) { return; }
      list.insertBefore(line(kind, record), list.firstChild);
      while (list.children.length > rows) list.removeChild(list.lastChild);
    }
    source.addEventListener('alert', function (e) { add('alert', e); });
    source.addEventListener('traffic', function (e) { add('traffic', e); });
    source.onopen = function () { if (status) { status.textContent = 'connected'; status.className = 'ok'; } };
    source.onerror = function () { if (status) { status.textContent = 'reconnecting'; status.className = 'refused'; } };
    window.addEventListener('pagehide', function () { source.close(); });
  }
"""

SCRIPT = page_script(_FEED, on_ready="""    var list = document.getElementById('feed');
    if (list) feed(list);
""")
