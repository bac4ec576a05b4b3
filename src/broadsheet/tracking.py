"""Query parameters that only track where a reader came from (campaigns, social sites, mail):
they never change a page, so every cache in front of Broadsheet (the page cache, the VCL
`broadsheet edge vcl` prints) keeps one copy of the page without them."""

from __future__ import annotations

import re

TRACKING_PATTERN = (r"utm_\w+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|"
                    r"twclid|ttclid|igshid|mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi|mkt_tok|"
                    r"oly_anon_id|oly_enc_id|vero_id|ref_src|s_cid")
TRACKING = re.compile(rf"^(?:{TRACKING_PATTERN})$", re.I)
