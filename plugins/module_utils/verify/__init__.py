# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verification after a deploy (``compute_verify``).

``run.Verify`` reads the cloud through ``cloud.reader.CloudReader`` and hands the data to the
check functions (``checks``: services, versions, cells; ``placement``: hosts, providers,
inventories); ``smoke`` boots and deletes a test server; ``console`` asks for a remote
console and probes its URL.
"""
