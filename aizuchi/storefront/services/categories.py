"""The built-in categories every Aizuchi has. Operators may add more in the admin."""

DEFAULT_CATEGORIES = [
    # slug, name_ja, name_en, description_ja, description_en, position
    (
        "zatsudan",
        "雑談",
        "Chit-chat",
        "気軽なおしゃべり。今日あったことを話したいときに。",
        "Easy talk about your day.",
        10,
    ),
    (
        "nayami",
        "悩み相談",
        "Worries & advice",
        "ひとりで抱えている悩みを一緒に整理します。",
        "Sort out what weighs on you, together.",
        20,
    ),
    (
        "keicho",
        "傾聴",
        "Listening",
        "アドバイスはせず、ただ最後まで聞きます。",
        "No advice: someone who listens to the end.",
        30,
    ),
    (
        "renai",
        "恋愛",
        "Love & relationships",
        "恋愛・夫婦・片思いの相談。",
        "Love, marriage, and unrequited feelings.",
        40,
    ),
    (
        "shigoto",
        "仕事",
        "Work & career",
        "職場の人間関係、転職、キャリアの相談。",
        "Workplace relationships, job changes, career.",
        50,
    ),
]


def ensure_default_categories(category_model) -> None:
    """Create or refresh the built-in categories (used by the migration and by tests)."""
    for slug, name_ja, name_en, description_ja, description_en, position in DEFAULT_CATEGORIES:
        category_model.objects.update_or_create(
            slug=slug,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "description_ja": description_ja,
                "description_en": description_en,
                "position": position,
            },
        )
