# Copyright: kolla_ops.nova contributors
# Apache License 2.0 (see LICENSE)
"""Pure cores of the compute_host module: host matching, instance classification,
the concurrency-window mover, the state file and progress events.

``core`` holds everything that does not talk to OpenStack; ``nova`` is the thin
adapter over an openstacksdk connection that the module hands to the core.
"""
