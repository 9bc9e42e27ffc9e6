from django.urls import include, path

from .views import blog, favourites, manage_media, manage_profile, providers, ranks

app_name = "storefront"
urlpatterns = [
    path("", providers.provider_index, name="index"),
    path("favourites/", favourites.favourite_list, name="favourites"),
    path("<int:provider_id>/favourite/", favourites.favourite_toggle, name="favourite"),
    path("<int:provider_id>/blog/", blog.blog_index, name="blog"),
    path("<int:provider_id>/blog/<int:post_id>/", blog.blog_detail, name="blog_post"),
    path("me/blog/", blog.manage_blog, name="manage_blog"),
    path("me/blog/new/", blog.manage_blog_new, name="manage_blog_new"),
    path("me/blog/preview/", blog.manage_blog_preview, name="manage_blog_preview"),
    path("me/blog/<int:post_id>/", blog.manage_blog_edit, name="manage_blog_edit"),
    path("me/blog/<int:post_id>/publish/", blog.manage_blog_publish, name="manage_blog_publish"),
    path("me/blog/<int:post_id>/delete/", blog.manage_blog_delete, name="manage_blog_delete"),
    path("open/", providers.provider_open, name="open"),
    path("<int:provider_id>/", providers.provider_detail, name="detail"),
    path("me/profile/", manage_profile.manage_profile, name="manage_profile"),
    path("me/offerings/", manage_profile.manage_offerings, name="manage_offerings"),
    path("me/standby/", manage_profile.manage_standby, name="manage_standby"),
    path("me/media/", include(manage_media.urlpatterns)),
    path("ranking/", ranks.ranking, name="ranking"),
    path("ranking/<slug:category_slug>/", ranks.ranking, name="ranking_category"),
]
