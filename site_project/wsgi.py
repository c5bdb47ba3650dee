"""WSGI entry point: gunicorn serves ``site_project.wsgi:application`` behind Nginx."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_project.settings")
application = get_wsgi_application()
