# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find log files (Kolla layout, plain directories, tarballs) and feed them to the engine.

Kolla writes ``/var/log/kolla/<service-group>/<service>.log`` (``nova/nova-compute.log``,
``libvirt/libvirtd.log``), logrotate adds ``.1`` and ``.2.gz``.  An operator's tarball
usually holds one such tree per host (``ctl1/var/log/kolla/nova/...``).  The host a
file belongs to is, in this order: the ``host`` given by the caller, else the first
directory above the service-group directory that is not ``kolla``, ``log`` or ``var``
and lies inside the scanned input, else ``default_host``.
"""

from __future__ import annotations

import datetime
import fnmatch
import glob
import gzip
import io
import os
import stat
import tarfile

from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.engine import (
    log_format,
    service_from_filename,
)

DEFAULT_PATTERNS = ("nova/*.log*", "libvirt/*.log*")
_LOG_GLOBS = ("*.log", "*.log.[0-9]*", "*.log.gz", "*.txt", "*.txt.gz")
_SKIP_DIRS = ("kolla", "log", "var", "logs")
# Kolla's per-service log directories (/var/log/kolla/<dir>/...)
_GROUP_DIRS = frozenset(
    "nova libvirt nova-libvirt nova_libvirt nova-compute placement neutron keystone glance cinder "
    "rabbitmq mariadb openvswitch horizon haproxy octavia heat ironic ansible sandbox ceilometer gnocchi "
    "designate barbican manila swift ovn kolla-toolbox fluentd prometheus opensearch".split()
)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")


def _iso_mtime(ts):
    return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _is_log_name(name):
    base = os.path.basename(name)
    return any(fnmatch.fnmatch(base, g) for g in _LOG_GLOBS)


def host_from_path(relparts, default_host):
    """``['ctl1', 'var', 'log', 'kolla', 'nova', 'nova-api.log']`` -> ``'ctl1'``."""
    dirs = list(relparts[:-1])
    if dirs and dirs[-1] in _GROUP_DIRS:
        dirs.pop()
    while dirs and dirs[-1] in _SKIP_DIRS:
        dirs.pop()
    return dirs[-1] if dirs else default_host


def _open_file(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def kolla_files(log_root, patterns=DEFAULT_PATTERNS, include_rotated=True):
    """Files under a Kolla log root matching ``patterns`` (relative globs), sorted oldest first."""
    files = []
    for pat in patterns:
        for path in glob.glob(os.path.join(log_root, pat)):
            if not os.path.isfile(path):
                continue
            rotated = not path.endswith(".log")
            if rotated and not include_rotated:
                continue
            files.append(path)
    # oldest rotation first so first/last seen and timelines read in order
    return sorted(set(files), key=lambda p: (os.path.dirname(p), service_from_filename(p), -_rotation(p)))


def _rotation(path):
    base = os.path.basename(path)
    if base.endswith(".gz"):
        base = base[:-3]
    tail = base.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def scan_kolla_root(engine, log_root, host, patterns=DEFAULT_PATTERNS, include_rotated=True):
    """Scan one host's Kolla log tree; every file is reported under ``host``."""
    for path in kolla_files(log_root, patterns, include_rotated):
        _scan_file(engine, path, host, service_from_filename(path))


def _scan_file(engine, path, host, service):
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            # a FIFO or a device (or a link to one) would block or never end: never opened
            engine.errors.append("%s: not a regular file (FIFO, socket or device): not read" % path)
            return
        if not engine.file_in_window(_iso_mtime(st.st_mtime)):
            engine.stats["files_skipped_by_time"] += 1
            return
        with _open_file(path) as fobj:
            engine.scan_stream(fobj, host, service, path, log_format(service))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        engine.errors.append("%s: %s" % (path, exc))


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def scan_inputs(engine, inputs, host=None, default_host="localhost"):
    """Scan files, directories (recursively) and tarballs given on a command line."""
    for item in inputs:
        if os.path.isfile(item) and item.endswith(TAR_SUFFIXES):
            _scan_tarball(engine, item, host, default_host)
        elif os.path.isdir(item):
            root = os.path.abspath(item)
            found = []
            for dirpath, _dirs, names in os.walk(root):
                for name in names:
                    if _is_log_name(name):
                        found.append(os.path.join(dirpath, name))
            found.sort(key=lambda p: (os.path.dirname(p), service_from_filename(p), -_rotation(p)))
            for path in found:
                if os.path.islink(path) and not _inside(os.path.realpath(path), os.path.realpath(root)):
                    engine.errors.append(
                        "%s: symbolic link to %s, outside %s: not followed"
                        % (path, os.path.realpath(path), item)
                    )
                    continue
                rel = os.path.relpath(path, root).split(os.sep)
                h = host or host_from_path(rel, default_host)
                _scan_file(engine, path, h, service_from_filename(path))
        elif os.path.isfile(item):
            parts = os.path.abspath(item).split(os.sep)
            h = host or host_from_path(parts[-3:], default_host)
            _scan_file(engine, item, h, service_from_filename(item))
        elif os.path.exists(item):
            engine.errors.append("%s: not a regular file (FIFO, socket or device): not read" % item)
        else:
            engine.errors.append("%s: no such file or directory" % item)


def _scan_tarball(engine, path, host, default_host):
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if not member.isfile() or not _is_log_name(member.name):
                    continue
                rel = [p for p in member.name.split("/") if p and p != "."]
                h = host or host_from_path(rel, default_host)
                service = service_from_filename(member.name)
                if not engine.file_in_window(_iso_mtime(member.mtime)):
                    engine.stats["files_skipped_by_time"] += 1
                    continue
                fobj = tar.extractfile(member)
                if fobj is None:
                    continue
                if member.name.endswith(".gz"):
                    fobj = gzip.GzipFile(fileobj=io.BufferedReader(fobj))
                with fobj:
                    engine.scan_stream(fobj, h, service, "%s:%s" % (path, member.name), log_format(service))
    except (OSError, EOFError, tarfile.TarError) as exc:
        engine.errors.append("%s: %s" % (path, exc))
