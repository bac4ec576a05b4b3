"""The default Wagtail Site follows the configured public address (broadsheet/address.py)
at every start, and pages cached under an old address are dropped."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from wagtail.models import Site

from broadsheet.address import host_and_port
from broadsheet.pagecache.store import follow_address

logger = logging.getLogger("broadsheet.masthead")


def follow_base_url() -> bool:
    """Point the default Site at the configured address; True if it had to change.

    Called at every start, before anything is served. Pages cached under the old address are
    dropped (their links name it); a database not migrated yet is left alone, `setup` creates
    the Site with the right address."""
    hostname, port = host_and_port()
    try:
        with transaction.atomic():
            changed = (Site.objects.filter(is_default_site=True)
                       .exclude(hostname=hostname, port=port)
                       .update(hostname=hostname, port=port))
    except IntegrityError:
        logger.error("BROADSHEET_BASE_URL names %s:%s, which another Wagtail site already has; "
                     "the default site keeps its old address", hostname, port)
        return False
    except DatabaseError:  # no tables yet (a first `migrate`), or no database reachable
        return False
    if changed:
        logger.info("the site's address is now %s", settings.BASE_URL)
        Site.clear_site_root_paths_cache()
    follow_address(settings.BASE_URL)
    return bool(changed)
