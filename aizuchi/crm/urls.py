from django.urls import path

from . import views

app_name = "crm"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.csv", views.customer_export, name="export"),
    path("tiers/", views.tiers, name="tiers"),
    path("ring/<int:session_id>/", views.ring_card, name="ring"),
    path("c/<int:customer_id>/", views.card, name="card"),
    path("c/<int:customer_id>/notes/", views.note_add, name="note_add"),
    path("c/<int:customer_id>/after-call/", views.note_and_tier, name="note_and_tier"),
    path("notes/<int:note_id>/", views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/delete/", views.note_delete, name="note_delete"),
    path("follow-ups/", views.followup_list, name="followups"),
    path("follow-ups/new/", views.followup_new, name="followup_new"),
    path("follow-ups/<int:followup_id>/", views.followup_edit, name="followup_edit"),
    path("follow-ups/<int:followup_id>/cancel/", views.followup_cancel, name="followup_cancel"),
    path("suggestions/<int:suggestion_id>/dismiss/", views.suggestion_dismiss, name="dismiss"),
    path("suggestions/<int:suggestion_id>/snooze/", views.suggestion_snooze, name="snooze"),
    path("templates/", views.templates, name="templates"),
    path("templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("templates/<int:template_id>/delete/", views.template_delete, name="template_delete"),
]
