# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audits and repairs of a running cloud (the ``*_audit`` modules and ``capacity_report``).

Each audit is one core file with ``audit(reader, params)`` (report, planned and proposed
actions, extra results) and, when it repairs, ``apply(reader, action)``; ``run.run_audit``
drives them inside a module.  Cloud data comes from ``cloud.reader.CloudReader``; the pure
analysis is in ``compute``, ``placement`` and ``resources``; option scopes in ``scope``.
"""
