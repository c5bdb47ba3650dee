from django.views.defaults import page_not_found  # replaced by the magazine's own 404 view
