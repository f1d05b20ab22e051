# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""compute_host: drain, evacuate, enable and recover one Nova compute host.

One file per job (imports run downwards: module -> operations -> mover -> classify/guards/state -> model):

* ``module.py``   the Ansible side: argument spec, parameters -> ``run`` -> result
* ``drain.py``    state=drained (``drain``, ``plan_drain``, ``move_all``)
* ``evacuate.py`` state=evacuated (``evacuate``, ``plan_evacuate``)
* ``enable.py``   state=enabled (``enable``, ``return_instances`` for move_back)
* ``recover.py``  state=recovered (``recover``, ``plan_recover``)
* ``mover.py``    the concurrency-window executor ``Mover``
* ``classify.py`` what can be done with one instance
* ``guards.py``   checks before a host is touched (host match, candidates, down hosts, heartbeats)
* ``state.py``    state file, lock, progress log
* ``report.py``   per-instance rows, summary, the shared report shape
* ``model.py``    constants, errors, ``MoveOptions``, records
* ``nova.py``     the adapter over an openstacksdk connection (plain dicts in and out)
"""
