"""gunicorn loader for the sandbox's API services.

The projects ship WSGI apps but no server, and their entry modules parse
sys.argv through oslo.config, which chokes on gunicorn's own options. This
module resets sys.argv and points each project at the sandbox's config files
(through the environment variables the projects read) before importing the app.

    SANDBOX_WSGI_SERVICE=keystone gunicorn ... sandbox_wsgi:application
"""

import importlib
import os
import sys

APPS = {
    "keystone": "keystone.wsgi.api",
    "placement": "placement.wsgi.api",
    "glance": "glance.wsgi.api",
    "neutron": "neutron.wsgi.api",
    "nova-api": "nova.wsgi.osapi_compute",
}

service = os.environ["SANDBOX_WSGI_SERVICE"]
sys.argv = [service]
application = importlib.import_module(APPS[service]).application
