from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("provider/", views.provider_inbox, name="provider_inbox"),
    path("provider/settings/", views.policy, name="policy"),
    path("provider/customers/<int:customer_id>/", views.to_customer, name="to_customer"),
    path("to/<int:provider_id>/", views.to_provider, name="to_provider"),
    path("t/<int:thread_id>/", views.thread_page, name="thread"),
    path("t/<int:thread_id>/block/", views.block, name="block"),
    path("m/<int:message_id>/report/", views.report, name="report"),
    path("m/<int:message_id>/refund/", views.refund, name="refund"),
    path("images/<int:image_id>/", views.image, name="image"),
    path("moderation/", views.moderation, name="moderation"),
    path("moderation/<int:message_id>/", views.moderation_decide, name="moderation_decide"),
]
