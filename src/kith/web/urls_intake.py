"""Pages of intake: import, export, duplicates and merge."""

from django.urls import path

from kith.web.views import intake

urlpatterns = [
    path("data/imports/", intake.import_list, name="import-list"),
    path("data/imports/<int:job_id>/", intake.import_detail, name="import-detail"),
    path("data/imports/<int:job_id>/mapping/", intake.import_mapping, name="import-mapping"),
    path("data/imports/<int:job_id>/run/", intake.import_run, name="import-run"),
    path("data/imports/<int:job_id>/progress/", intake.import_progress, name="import-progress"),
    path("data/imports/<int:job_id>/errors.csv", intake.import_errors, name="import-errors"),
    path("data/imports/<int:job_id>/undo/", intake.import_undo, name="import-undo"),
    path("data/imports/<int:job_id>/resume/", intake.import_resume, name="import-resume"),
    path("data/imports/<int:job_id>/stop/", intake.import_stop, name="import-stop"),
    path("data/imports/<int:job_id>/choices/", intake.import_choices, name="import-choices"),
    path("data/duplicates/", intake.duplicate_list, name="duplicate-list"),
    path("data/duplicates/check/", intake.duplicate_check, name="duplicate-check"),
    path("data/merge/", intake.merge_review, name="merge-review"),
    path("data/merge/<int:merge_id>/undo/", intake.merge_undo, name="merge-undo"),
    path(
        "contacts/<int:contact_id>/duplicates/",
        intake.contact_duplicates_panel,
        name="contact-duplicates-panel",
    ),
    path("data/export/contacts.<str:fmt>", intake.export_contacts, name="export-contacts"),
    path("data/export/companies.<str:fmt>", intake.export_companies, name="export-companies"),
]
