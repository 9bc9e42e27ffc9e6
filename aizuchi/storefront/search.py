"""Japanese search over providers.

First cut: one place that keeps each provider's search document current. Services call
``search_document_refresh`` after any change to text that search reads.
"""

from __future__ import annotations

import re
import unicodedata

from .models import BlogPost, Provider, SearchDocument

_WORD = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """Fold width and case so ＡＢＣ, abc and ABC, ｶﾀｶﾅ and カタカナ meet."""
    return unicodedata.normalize("NFKC", text).casefold()


def grams(text: str) -> str:
    """Cut folded text into overlapping bigrams, space separated, per run of word chars."""
    tokens: list[str] = []
    for run in _WORD.findall(normalize(text)):
        if len(run) == 1:
            tokens.append(run)
            continue
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(tokens)


def search_document_refresh(*, provider_id: int) -> None:
    """Rebuild the search document of one provider from its current text."""
    provider = Provider.objects.prefetch_related("tags").get(pk=provider_id)
    posts = BlogPost.objects.filter(provider_id=provider_id, is_published=True).values_list(
        "title", "body"
    )
    parts = [provider.display_name, provider.concept, provider.description]
    parts += [tag.name for tag in provider.tags.all()]
    for title, body in posts:
        parts += [title, body]
    text = "\n".join(part for part in parts if part)
    SearchDocument.objects.update_or_create(
        provider_id=provider_id, defaults={"text": normalize(text), "grams": grams(text)}
    )
