from django.urls import path

from . import views

app_name = "reputation"
urlpatterns = [
    path("<int:provider_id>/reviews/", views.provider_reviews, name="reviews"),
    path("reviews/new/<int:session_id>/", views.review_new, name="review_new"),
    path("reviews/<int:review_id>/report/", views.review_report, name="review_report"),
    path("reviews/moderation/", views.moderation, name="review_moderation"),
    path(
        "reviews/<int:review_id>/hide/",
        views.moderation_action,
        {"action": "hide"},
        name="review_hide",
    ),
    path(
        "reviews/<int:review_id>/unhide/",
        views.moderation_action,
        {"action": "unhide"},
        name="review_unhide",
    ),
    path(
        "reviews/<int:review_id>/resolve/",
        views.moderation_action,
        {"action": "resolve"},
        name="review_resolve",
    ),
    path("me/reviews/", views.manage_reviews, name="manage_reviews"),
    path(
        "me/reviews/<int:review_id>/reply/", views.manage_review_reply, name="manage_review_reply"
    ),
]
