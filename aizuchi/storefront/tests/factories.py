import factory

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.storefront.models import Provider


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"聞き上手{n}")
    concept = "夜でも、ゆっくり聞きます"


# --- blog and favourites -----------------------------------------------------------------
def _now():
    from django.utils import timezone

    return timezone.now()


def _rendered(post) -> str:
    from aizuchi.storefront.services.blog import render_markdown

    return render_markdown(post.body)


class BlogPostFactory(factory.django.DjangoModelFactory):
    """A published post; pass is_published=False, published_at=None for a draft."""

    class Meta:
        model = "storefront.BlogPost"

    provider = factory.SubFactory(ProviderFactory)
    title = factory.Sequence(lambda n: f"聞くということ {n}")
    body = "今日は**傾聴**について。\n\n- ゆっくり\n- 急がず"
    body_html = factory.LazyAttribute(_rendered)
    is_published = True
    published_at = factory.LazyFunction(_now)


class FavouriteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "storefront.Favourite"

    customer = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ProviderFactory)
