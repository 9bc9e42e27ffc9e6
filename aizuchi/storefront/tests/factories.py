import factory

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.storefront.models import Provider


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"聞き上手{n}")
    concept = "夜でも、ゆっくり聞きます"
