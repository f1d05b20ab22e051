# Copyright: kolla_ops.nova contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config assertions: confirm or rule out a rule's cause from the service's nova.conf.

Kolla renders each service's merged config to ``/etc/kolla/<service>/nova.conf`` on the
host (``config_dir`` is configurable).  An assertion *holds* when the config shows the
cause, e.g. ``{option: '[libvirt] connection_uri', op: contains, value: session}`` or
``{option: '[DEFAULT] transport_url', op: unreachable_hosts}`` (some broker in the URL
does not accept a TCP connection).  Results: ``holds`` true (cause confirmed), false
(ruled out) or None (could not tell: file or option missing, unreadable).
"""

from __future__ import annotations

import configparser
import os
import re
import socket

from ansible_collections.kolla_ops.nova.plugins.module_utils.common.masking import mask
from ansible_collections.kolla_ops.nova.plugins.module_utils.triage.rules import parse_option

_HOSTPORT = re.compile(r"^(?:[^@/]*@)?(?P<host>\[[^\]]+\]|[^:/,]+)(?::(?P<port>\d+))?")
DEFAULT_PORTS = {"rabbit": 5672, "amqp": 5672, "kombu": 5672, "mysql": 3306, "http": 80, "https": 443}


def read_config(path):
    """A RawConfigParser for ``path`` (duplicate keys: last wins), or None when unreadable."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            parser.read_file(fh)
    except (OSError, configparser.Error):
        return None
    return parser


def get_option(parser, section, option):
    if section == "DEFAULT":
        return parser.defaults().get(option)
    if parser.has_section(section) and option in parser._sections[section]:
        return parser._sections[section][option]
    return None


def url_endpoints(url):
    """``rabbit://u:p@h1:5672,u:p@h2:5672//`` -> ``[('h1', 5672), ('h2', 5672)]``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return []
    port_default = DEFAULT_PORTS.get(scheme.split("+")[0], 0)
    netloc = rest.split("/", 1)[0]
    out = []
    for part in netloc.split(","):
        m = _HOSTPORT.match(part)
        if m and m.group("host"):
            out.append((m.group("host").strip("[]"), int(m.group("port") or port_default)))
    return out


def _reachable(host, port, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def evaluate(assertion, parser, path, timeout=2.0):
    """Evaluate one assertion against a parsed config; returns a result dict."""
    section, option = parse_option(assertion["option"])
    op = assertion["op"]
    expected = assertion.get("value")
    result = {
        "option": assertion["option"],
        "op": op,
        "value": expected,
        "file": path,
        "actual": None,
        "holds": None,
        "meaning": assertion.get("meaning", ""),
    }
    if parser is None:
        result["detail"] = "config file not readable"
        return result
    actual = get_option(parser, section, option)
    result["actual"] = mask(actual) if actual is not None else None
    if op == "present":
        result["holds"] = actual is not None
    elif op == "absent":
        result["holds"] = actual is None
    elif actual is None:
        result["detail"] = "option not set in this file"
    elif op == "equals":
        result["holds"] = actual.strip() == str(expected)
    elif op == "not_equals":
        result["holds"] = actual.strip() != str(expected)
    elif op == "contains":
        result["holds"] = str(expected) in actual
    elif op == "not_contains":
        result["holds"] = str(expected) not in actual
    elif op == "matches":
        result["holds"] = re.search(str(expected), actual) is not None
    elif op == "not_matches":
        result["holds"] = re.search(str(expected), actual) is None
    elif op == "unreachable_hosts":
        endpoints = url_endpoints(actual)
        if not endpoints:
            result["detail"] = "no host:port found in the URL"
        else:
            down = ["%s:%d" % hp for hp in endpoints if not _reachable(hp[0], hp[1], timeout)]
            result["holds"] = bool(down)
            result["detail"] = (
                "not answering: %s" % ", ".join(down)
                if down
                else "all of %d endpoints answer" % len(endpoints)
            )
    return result


def evaluate_rule(rule, service, config_dir, timeout=2.0, cache=None):
    """Evaluate a rule's assertions for one service's config file under ``config_dir``."""
    if not rule.assertions:
        return []
    path = os.path.join(config_dir, service, "nova.conf")
    cache = cache if cache is not None else {}
    if path not in cache:
        cache[path] = read_config(path) if os.path.exists(path) else None
    return [evaluate(a, cache[path], path, timeout) for a in rule.assertions]
