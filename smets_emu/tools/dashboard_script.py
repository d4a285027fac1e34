"""The dashboard pages' one script, served by the lab at ``/static/dashboard.js``.

- The live feed: ``<ul id="feed" data-src="/events...">`` is filled from an ``EventSource`` (alerts
  and WAN frames, newest first, at most ``data-rows`` lines, stamped with the lab's virtual time);
  ``#feed-status`` says whether it is connected (the browser reconnects by itself).
- Controls: a form marked ``data-api="/path"`` is sent with ``fetch()`` as JSON (``Content-Type:
  application/json``) with the session's ``X-CSRF-Token`` header (from ``<meta name="csrf-token">``),
  method ``data-method`` (POST by default). Fields: ``data-kind="int"`` or ``"number"`` are sent as
  numbers, empty fields are left out; ``data-body="unit-amount"`` sends ``{<unit>: <amount>}`` (the
  clock). The answer or the lab's error goes to the form's ``[data-result]``; ``data-then="reload"``
  reloads the page after a success.
"""

from __future__ import annotations

SCRIPT_PATH = "/static/dashboard.js"

SCRIPT = r"""'use strict';
(function () {
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }
  function body(form) {
    if (form.getAttribute('data-body') === 'unit-amount') {
      var out = {};
      out[form.elements.unit.value] = Number(form.elements.amount.value);
      return out;
    }
    var fields = {};
    for (var el of form.elements) {
      if (!el.name || el.disabled || el.value.trim() === '') continue;
      var kind = el.getAttribute('data-kind');
      fields[el.name] = kind === 'int' ? parseInt(el.value, 10) : (kind === 'number' ? Number(el.value) : el.value);
    }
    return fields;
  }
  async function send(form, event) {
    event.preventDefault();
    var result = form.querySelector('[data-result]');
    var button = form.querySelector('button');
    if (button) button.disabled = true;
    try {
      var response = await fetch(form.getAttribute('data-api'), {
        method: form.getAttribute('data-method') || 'POST',
        credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf()},
        body: JSON.stringify(body(form))
      });
      var answer = await response.json().catch(function () { return {}; });
      if (result) {
        result.textContent = response.ok ? 'Done.' : ('Refused (' + response.status + '): ' + (answer.error || ''));
        result.className = response.ok ? 'ok' : 'refused';
      }
      if (response.ok && form.getAttribute('data-then') === 'reload') location.reload();
    } catch (err) {
      if (result) { result.textContent = 'Failed: ' + err; result.className = 'refused'; }
    } finally {
      if (button) button.disabled = false;
    }
  }
  function line(kind, r) {
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
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('form[data-api]').forEach(function (form) {
      form.addEventListener('submit', function (event) { send(form, event); });
    });
    var list = document.getElementById('feed');
    if (list) feed(list);
  });
})();
"""
