"""Launcher for a sandbox nova-compute.

Nova loads virt drivers only from its own package (compute_driver is joined to
"nova.virt."), so extend that package's path with sandbox/runtime/virt before
running the real nova-compute entry point. Arguments are nova-compute's.
"""

import os
import sys

import nova.virt

# nova.cmd.compute applies Nova's own (threading) monkey patching on import;
# import it first, as the console script does.
from nova.cmd import compute

nova.virt.__path__.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "virt"))

if __name__ == "__main__":
    sys.argv[0] = "nova-compute"
    sys.exit(compute.main())
