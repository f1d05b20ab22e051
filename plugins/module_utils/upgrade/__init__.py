# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upgrade readiness: what to fix before moving Nova to the next release.

``run.UpgradeCheck`` reads the cloud (``cloud/``), the files (``files``) and Nova's commands and
hands them to the ``check_*`` functions of ``kolla``, ``config``, ``services``, ``status`` and
``database``, which add results to a report.  Nothing here changes anything; every fix named is
the exact command the operator runs (``commands.Commands``).  The release table is
``common/releases.py``.
"""
