# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova's option schema (per release) and validation of INI files against it.

``schema``: releases, the shipped option data (``data/``), :class:`Schema`;
``validate``: findings for entries, texts and files; ``secrets``: masking.
The names below are the package's public API (``nova_schema.validate_text`` ...).
"""

from __future__ import annotations

from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_schema.schema import (  # noqa: F401
    AUTH_PLUGIN_OPTIONS,
    DEFAULT_RELEASE,
    KOLLA,
    RELEASES,
    SERIES,
    Schema,
    SchemaError,
    all_schemas,
    load_schema,
    norm,
    release_major,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_schema.secrets import (  # noqa: F401
    is_secret_option,
    mask_finding,
    mask_ini,
    mask_option,
    mask_settings,
)
from ansible_collections.kolla_ops.nova.plugins.module_utils.nova_schema.validate import (  # noqa: F401
    check_value,
    entries_from_text,
    format_finding,
    summarize,
    validate_entries,
    validate_files,
    validate_text,
    vcpu_pin_set_fix,
)
