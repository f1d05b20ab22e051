"""Unit tests of plugins/module_utils/compute_host (a package: the tests import .fakes)."""
