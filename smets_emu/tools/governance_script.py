"""The governance pages' one script, served by the lab at ``/governance/static/governance.js``.

The pages carry no inline script (their Content-Security-Policy allows scripts from the lab only);
their forms (uploads, PPCT actions) are sent as JSON by :mod:`.form_script`.
"""

from __future__ import annotations

from smets_emu.tools.form_script import page_script

SCRIPT_PATH = "/governance/static/governance.js"

SCRIPT = page_script()
