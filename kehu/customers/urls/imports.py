from django.urls import path

from kehu.customers.views import imports

# The job id is not a card pk: the name `job_id` keeps these pages out of the card-page meta-test.
urlpatterns = [
    path("imports/", imports.import_list, name="import-list"),
    path("imports/new/", imports.import_new, name="import-new"),
    path("imports/template/", imports.import_template_download, name="import-template"),
    path("imports/<int:job_id>/", imports.import_detail, name="import-detail"),
    path("imports/<int:job_id>/progress/", imports.import_progress_view, name="import-progress"),
    path("imports/<int:job_id>/commit/", imports.import_run, name="import-commit"),
    path("imports/<int:job_id>/cancel/", imports.import_stop, name="import-cancel"),
]
