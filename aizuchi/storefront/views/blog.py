from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.core.errors import InvalidInput
from aizuchi.core.forms import add_service_errors

from ..area import provider_area, render_manage
from ..forms import BlogPostForm
from ..models import BlogPost
from ..selectors import blog as blog_reads
from ..selectors import provider_get
from ..services import blog

POST_SAVED = _("Post saved.")
POST_PUBLISHED = _("Post published.")
POST_UNPUBLISHED = _("Post moved back to drafts.")
POST_DELETED = _("Post deleted.")


# --- Public pages ------------------------------------------------------------------------


@require_GET
def blog_index(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = provider_get(provider_id=provider_id)
    page = blog_reads.post_page_published(provider_id=provider.pk, page=request.GET.get("page"))
    return render(request, "storefront/blog/list.html", {"provider": provider, "page": page})


@require_GET
def blog_detail(request: HttpRequest, provider_id: int, post_id: int) -> HttpResponse:
    provider = provider_get(provider_id=provider_id)
    post = blog_reads.post_get_visible(provider=provider, post_id=post_id, viewer=request.user)
    return render(request, "storefront/blog/detail.html", {"provider": provider, "post": post})


# --- The provider's own area -------------------------------------------------------------


@require_GET
@provider_area("blog")
def manage_blog(request: HttpRequest, *, provider) -> HttpResponse:
    posts = blog_reads.post_list_for_owner(provider=provider)
    return render_manage(request, "storefront/manage/blog.html", {"posts": posts})


def _preview_of(form: BlogPostForm) -> str | None:
    """Rendered preview of the submitted body, when it is within the limit."""
    body = blog.normalize_newlines(form.data.get("body", ""))
    if len(body) > blog.BODY_MAX:
        return None
    return blog.render_markdown(body)


def _save(*, provider, post, data) -> BlogPost:
    fields = {"title": data["title"], "body": data["body"], "publish": data["publish"]}
    if post is None:
        return blog.post_create(provider=provider, **fields)
    return blog.post_update(provider=provider, post_id=post.pk, **fields)


def _editor(request: HttpRequest, *, provider, post=None) -> HttpResponse:
    initial = {}
    if post is not None:
        initial = {"title": post.title, "body": post.body, "publish": post.is_published}
    form = BlogPostForm(request.POST or None, initial=initial)
    preview_html = None
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "preview":
            # Without JavaScript the preview button posts the whole form back here: show
            # the preview under the same, unsaved input (and no "required" errors yet).
            preview_html = _preview_of(form)
            if preview_html is None:
                form.is_valid()  # the length error shows on its field
                status = 400
            else:
                form = BlogPostForm(
                    initial={
                        "title": request.POST.get("title", ""),
                        "body": request.POST.get("body", ""),
                        "publish": bool(request.POST.get("publish")),
                    }
                )
        else:
            if form.is_valid():
                try:
                    post = _save(provider=provider, post=post, data=form.cleaned_data)
                except InvalidInput as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, POST_SAVED)
                    return redirect("storefront:manage_blog_edit", post.pk)
            status = 400
    return render_manage(
        request,
        "storefront/manage/blog_edit.html",
        {"form": form, "post": post, "preview_html": preview_html},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@provider_area("blog")
def manage_blog_new(request: HttpRequest, *, provider) -> HttpResponse:
    return _editor(request, provider=provider)


@require_http_methods(["GET", "POST"])
@provider_area("blog")
def manage_blog_edit(request: HttpRequest, post_id: int, *, provider) -> HttpResponse:
    post = blog_reads.post_get_for_owner(provider=provider, post_id=post_id)
    return _editor(request, provider=provider, post=post)


@require_POST
@provider_area("blog")
def manage_blog_preview(request: HttpRequest, *, provider) -> HttpResponse:
    """htmx: the editor's body rendered through the same Markdown and sanitiser."""
    form = BlogPostForm(request.POST)
    preview_html = _preview_of(form)
    if preview_html is None:
        return render(
            request,
            "storefront/manage/blog_preview.html",
            {"preview_error": blog.BODY_TOO_LONG},
            status=400,
        )
    return render(request, "storefront/manage/blog_preview.html", {"preview_html": preview_html})


@require_POST
@provider_area("blog")
def manage_blog_publish(request: HttpRequest, post_id: int, *, provider) -> HttpResponse:
    published = request.POST.get("published") == "1"
    blog.post_set_published(provider=provider, post_id=post_id, published=published)
    messages.success(request, POST_PUBLISHED if published else POST_UNPUBLISHED)
    return redirect("storefront:manage_blog")


@require_http_methods(["GET", "POST"])
@provider_area("blog")
def manage_blog_delete(request: HttpRequest, post_id: int, *, provider) -> HttpResponse:
    post = blog_reads.post_get_for_owner(provider=provider, post_id=post_id)
    if request.method == "POST":
        blog.post_delete(provider=provider, post_id=post.pk)
        messages.success(request, POST_DELETED)
        return redirect("storefront:manage_blog")
    return render_manage(request, "storefront/manage/blog_delete.html", {"post": post})
