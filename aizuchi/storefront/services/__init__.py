"""Every change to a storefront, one module per topic.

- ``profile``: opening a storefront, the profile, tags, concept versions.
- ``offerings``: prices and terms per channel (and ``Provider.price_from``).
- ``standby``: the weekly standby plan.
- ``media``, ``videos``: photos, video links, the voice sample.
- ``blog``: posts, Markdown rendered and sanitised once on save.
- ``favourites``: customers keeping providers on a list.
- ``search``: the search document kept in step with the text search reads.
- ``standing``: the provider's public standing (rating, rank, recommended score),
  written for the reputation domain, which works them out.
- ``categories``: the built-in categories.
"""
