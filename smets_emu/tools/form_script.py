"""The part of the lab pages' scripts that sends forms: the dashboard's and the governance pages'.

A form marked ``data-api="/path"`` is sent with ``fetch()`` as a JSON body (``Content-Type:
application/json``) with the session's ``X-CSRF-Token`` header (from the page's ``<meta
name="csrf-token">``), method ``data-method`` (POST by default), so it passes the control plane's
Origin, Content-Type and CSRF rules; a browser never posts a form itself. Field conventions:

- ``<input type="file">``: the file's bytes in base64; ``<input type="checkbox">``: true or false;
  ``<select multiple>``: the list of chosen values;
- ``data-kind="list"``: a comma- or line-separated list of strings; ``data-kind="int"`` or
  ``"number"``: a number; other fields: their text; empty fields are left out;
- ``data-body="unit-amount"`` on the form sends ``{<unit>: <amount>}`` (the dashboard's clock).

The answer (or the error the lab gave) is shown in the form's ``[data-result]`` element; with
``data-then="reload"`` the page reloads after a success, with ``data-then="/path/{field}"`` it
opens that address (``{field}`` replaced by the field of the JSON answer).
"""

from __future__ import annotations

FORMS = r"""  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }
  function base64(buffer) {
    var bytes = new Uint8Array(buffer), parts = [], step = 0x8000;
    for (var i = 0; i < bytes.length; i += step) {
      parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + step)));
    }
    return btoa(parts.join(''));
  }
  async function body(form) {
    var out = {};
    if (form.getAttribute('data-body') === 'unit-amount') {
      out[form.elements.unit.value] = Number(form.elements.amount.value);
      return out;
    }
    for (var el of form.elements) {
      if (!el.name || el.disabled) continue;
      var kind = el.getAttribute('data-kind');
      if (el.type === 'file') {
        if (el.files.length) out[el.name] = base64(await el.files[0].arrayBuffer());
      } else if (el.type === 'checkbox') {
        out[el.name] = el.checked;
      } else if (el.tagName === 'SELECT' && el.multiple) {
        out[el.name] = Array.from(el.selectedOptions, function (o) { return o.value; });
      } else if (el.value.trim() === '') {
        continue;
      } else if (kind === 'list') {
        out[el.name] = el.value.split(/[,\n]/).map(function (s) { return s.trim(); }).filter(Boolean);
      } else if (kind === 'int') {
        out[el.name] = parseInt(el.value, 10);
      } else if (kind === 'number') {
        out[el.name] = Number(el.value);
      } else {
        out[el.name] = el.value;
      }
    }
    return out;
  }
  async function send(form, event) {
    event.preventDefault();
    var result = form.querySelector('[data-result]');
    var button = form.querySelector('button[type="submit"], button:not([type])');
    if (button) button.disabled = true;
    try {
      var response = await fetch(form.getAttribute('data-api'), {
        method: form.getAttribute('data-method') || 'POST',
        credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf()},
        body: JSON.stringify(await body(form))
      });
      var answer = await response.json().catch(function () { return {}; });
      if (result) {
        result.textContent = response.ok ? 'Done.' : ('Refused (' + response.status + '): ' + (answer.error || ''));
        result.className = response.ok ? 'ok' : 'refused';
      }
      var then = form.getAttribute('data-then');
      if (response.ok && then === 'reload') {
        location.reload();
      } else if (response.ok && then) {
        location.assign(then.replace(/\{(\w+)\}/g, function (_, k) { return encodeURIComponent(answer[k]); }));
      }
    } catch (err) {
      if (result) { result.textContent = 'Failed: ' + err; result.className = 'refused'; }
    } finally {
      if (button) button.disabled = false;
    }
  }
"""
"""The form sender's functions (``csrf``, ``base64``, ``body``, ``send``), indented to sit in a page script."""


def page_script(functions: str = "", on_ready: str = "") -> str:
    """A page's one script: the form sender plus *functions*; on load, forms are bound, then *on_ready* runs."""
    return ("'use strict';\n(function () {\n" + FORMS + functions
            + "  document.addEventListener('DOMContentLoaded', function () {\n"
            + "    document.querySelectorAll('form[data-api]').forEach(function (form) {\n"
            + "      form.addEventListener('submit', function (event) { send(form, event); });\n"
            + "    });\n" + on_ready + "  });\n})();\n")
