"""Demo data for a fresh Aizuchi: realistic Japanese providers and customers.

Pure data generation — no database access, no clock. Everything is drawn from a
`random.Random` handed in by the caller, so the same seed always gives the same
people in the same order. `manage.py seed_demo` turns these records into rows.

The word lists are written for this project. Text is assembled from whole sentences
(never from fragments glued mid-sentence), so every combination reads naturally.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from aizuchi.storefront.services.categories import DEFAULT_CATEGORIES

# The built-in categories (storefront's data migration creates them), in display order.
CATEGORY_SLUGS: tuple[str, ...] = tuple(row[0] for row in DEFAULT_CATEGORIES)

# How far back demo storefronts were opened: about two years.
MAX_AGE_SECONDS = 730 * 24 * 60 * 60

# Model limits (storefront.Provider and accounts.User); the generator stays within them.
DISPLAY_NAME_MAX = 40
CONCEPT_MAX = 80


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words: keeps long word lists compact and readable."""
    return tuple(text.split())


# --- Names ---------------------------------------------------------------------------
# Three pools per script; "f"/"m" names go with text that implies a gender
# (e.g. 「子育てママ」), neutral "n" names go with anything.
HIRAGANA_NAMES = {
    "f": _words("""
        みさき はるか あおい さくら ゆい みお かえで ともみ なつき しおり あや けいこ
        ようこ ちひろ めぐみ まゆ りさ えみ ゆきの ことね ひより のぞみ あかね みゆき
    """),
    "m": _words("けんた ゆうき たくみ しょう だいち こうへい りょう まさと ひろし しんじ かずま"),
    "n": _words("ゆう まこと ひなた りん なお あきら かおる ひかる つばさ そら"),
}
KATAKANA_NAMES = {
    "f": _words("ミナ ナナ リコ マオ エリ サキ ユイ"),
    "m": _words("カイ レン リク タク ケン"),
    "n": _words("ハル ユキ ソラ ジュン アキ トモ ケイ ルイ ミツ"),
}
KANJI_NAMES = {
    "f": _words("""
        真由美 恵子 美咲 陽子 香織 裕子 由美 理恵 絵美 直子 千尋 優花 佳奈 明日香 志保 早苗
    """),
    "m": _words("直樹 健太 亮 誠 和也 拓海 大輔 浩二 翔 悠斗 修 康介"),
    "n": _words("薫 忍 悠 光 渚 晶"),
}

# Prefixes that fit any storefront: 「夜ふかしのハル」「聞き上手のゆう」.
GENERIC_NAME_PREFIXES = _words("""
    聞き上手の 夜ふかしの おしゃべり好きの のんびり屋の 朝型の 癒し系の 関西の 北海道の
    猫好きの コーヒー好きの 話し好きの 雨の日の うなずき上手の ひだまりの おだやかな
""")

# --- Themes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Theme:
    """What a storefront is about, with text written for that subject.

    Strings may start with "f:" or "m:" when they only suit one gender; unmarked
    strings suit anyone. `titles` go before or after a name (「キャリア相談 真由美」,
    「あおい｜傾聴カウンセラー」); `prefixes` attach straight to a name (「元人事の誠」).
    """

    key: str
    category: str  # always one of the storefront's categories
    related: tuple[str, ...]  # may be added as a second or third category
    weight: int  # how common this kind of storefront is
    concepts: tuple[str, ...]
    titles: tuple[str, ...]
    prefixes: tuple[str, ...]
    backgrounds: tuple[str, ...]  # who I am (first sentence of the description)
    offers: tuple[str, ...]  # what you can talk about with me


THEMES: tuple[Theme, ...] = (
    Theme(
        key="guchi",
        category="nayami",
        related=("keicho", "zatsudan", "shigoto"),
        weight=10,
        concepts=(
            "愚痴、ぜんぶ吐き出してください。うんうんと聞きます",
            "今日のモヤモヤ、寝る前にここへ置いていきませんか",
            "愚痴聞き専門。否定もアドバイスもしません",
            "誰にも言えない愚痴も、ここだけの話にします",
            "「ちょっと聞いてよ」から始めて大丈夫です",
            "溜めこんだ愚痴を、すっきり軽くするお手伝いをします",
            "ため息まじりの話も、最後までちゃんと聞きます",
        ),
        titles=("愚痴聞き",),
        prefixes=("愚痴聞き上手の", "うなずき名人の"),
        backgrounds=(
            "接客の仕事を十年以上続けてきて、人の話を聞くのがすっかり好きになりました。",
            "私自身、愚痴を聞いてもらって救われたことが何度もあります。",
            "普段は事務の仕事をしている、話し好きの三十代です。",
            "家族や友だちからは、昔から「話しやすい」とよく言われます。",
        ),
        offers=(
            "職場のこと、家族のこと、ちょっとした不満まで、どんな愚痴でも歓迎です。",
            "まとまっていなくても大丈夫なので、思いついた順に話してください。",
            "「こんなことで？」と思うような小さなことでも、遠慮なくどうぞ。",
        ),
    ),
    Theme(
        key="keicho",
        category="keicho",
        related=("nayami", "zatsudan"),
        weight=12,
        concepts=(
            "あなたのペースで、ゆっくり話してください",
            "否定せず、急かさず、最後まで聴きます",
            "言葉にならない気持ちも、そのまま受け止めます",
            "ただ聴いてほしい夜に。傾聴を大切にしています",
            "話すだけで、少し心が軽くなりますように",
            "沈黙も大切な時間です。焦らなくて大丈夫",
            "傾聴を学び続けています。安心してお話しください",
        ),
        titles=("傾聴", "傾聴カウンセラー", "傾聴ボランティア"),
        prefixes=("聞き上手の", "よりそいの", "傾聴を学ぶ"),
        backgrounds=(
            "傾聴の講座を受けてから、三年ほど話を聴く活動を続けています。",
            "以前は電話相談のボランティアをしていました。",
            "元看護師で、患者さんのお話をたくさん聴いてきました。",
            "産業カウンセラーの勉強をしながら、聴く練習を重ねています。",
        ),
        offers=(
            "アドバイスはせず、あなたの言葉をそのまま大切に受け止めます。",
            "考えがまとまっていなくても、話しながら一緒に整理していきましょう。",
            "話したいことが見つからないときは、今日の天気の話からでも大丈夫です。",
        ),
    ),
    Theme(
        key="renai",
        category="renai",
        related=("nayami", "keicho"),
        weight=10,
        concepts=(
            "片思いも復縁も、恋のモヤモヤを聞かせてください",
            "好きな人のこと、誰かに話したくなったらどうぞ",
            "彼の気持ちがわからない……そんな夜のお話し相手に",
            "恋バナ大歓迎！一緒にきゃーきゃー言いましょう",
            "別れたあとのつらい気持ち、そっと聞きます",
            "f:恋愛相談なら任せて。女性目線で一緒に考えます",
            "m:男性目線の恋愛アドバイス、率直にお伝えします",
        ),
        titles=("恋愛相談", "恋愛カウンセラー"),
        prefixes=("恋バナ好きの", "恋愛相談の"),
        backgrounds=(
            "友だちの恋愛相談に乗ることが多く、気づけば聞き役が定位置になっていました。",
            "私自身、遠距離恋愛や失恋をいくつも経験してきました。",
            "結婚して十年、夫婦のことで悩んだ時期もありました。",
            "ブライダル関係の仕事をしていたことがあります。",
        ),
        offers=(
            "片思い、復縁、マッチングアプリのことなど、どんな恋の話でもどうぞ。",
            "相手の気持ちを一緒に想像しながら、次の一歩を考えます。",
            "アドバイスがほしいときは率直に、聞いてほしいだけのときはじっくり聞きます。",
        ),
    ),
    Theme(
        key="career",
        category="shigoto",
        related=("nayami",),
        weight=8,
        concepts=(
            "転職するか迷ったら、まずは話してみませんか",
            "キャリアの棚卸し、話しながら整理しましょう",
            "「今の仕事、このままでいいのかな」と思ったら",
            "30代からのキャリアチェンジ、経験者として話せます",
            "職務経歴書の書き方から面接の不安まで",
            "働き方に迷ったときの、壁打ち相手になります",
        ),
        titles=("キャリア相談", "転職相談", "キャリアコンサルタント"),
        prefixes=("元人事の", "働き方を考える"),
        backgrounds=(
            "メーカーの人事部で十五年、採用と面談を担当してきました。",
            "営業職からIT業界へ、三十代で転職した経験があります。",
            "国家資格キャリアコンサルタントとして活動しています。",
            "会社員を続けながら、副業で働き方の相談に乗っています。",
        ),
        offers=(
            "転職するかどうか決まっていない段階でも、もちろん大丈夫です。",
            "あなたの強みやこれまでの経験を、話しながら一緒に言葉にしていきます。",
            "評価への不満や異動の悩みなど、仕事まわりのことなら何でも聞きます。",
        ),
    ),
    Theme(
        key="yoru",
        category="zatsudan",
        related=("keicho",),
        weight=10,
        concepts=(
            "眠れない夜の話し相手になります",
            "夜ふかし仲間、募集中。ゆるっとおしゃべりしましょう",
            "深夜でものんびり雑談。寝落ちしても大丈夫です",
            "今日あったこと、寝る前に話しませんか",
            "夜の静かな時間に、たわいもない話を",
        ),
        titles=("夜の雑談", "深夜の話し相手"),
        prefixes=("夜ふかしの", "深夜の", "眠れない夜の"),
        backgrounds=(
            "夜型の生活なので、深夜の時間帯にいることが多いです。",
            "夜勤のある仕事をしていたので、夜中に起きているのは慣れっこです。",
            "在宅で仕事をしていて、夜はたいてい手が空いています。",
        ),
        offers=(
            "今日の出来事、好きな音楽、夜食の話など、なんでも付き合います。",
            "特に話すことがなくても、つないでくれたら話題はこちらで考えます。",
            "眠くなったら、途中で終わりにしても大丈夫です。",
            "夜は二十二時ごろから、よくオンラインにしています。",
        ),
    ),
    Theme(
        key="kosodate",
        category="nayami",
        related=("zatsudan", "keicho"),
        weight=6,
        concepts=(
            "f:子育て中のモヤモヤ、ママ同士で話しませんか",
            "ワンオペ育児の息抜きに。愚痴も大歓迎です",
            "f:現役ママです。子育ての悩み、一緒に考えます",
            "m:現役パパです。子育ての悩み、一緒に考えます",
            "イヤイヤ期も思春期も、経験者として聞きます",
            "子どもが寝たあとの、ほっとひと息タイムに",
        ),
        titles=("子育て相談", "f:子育てママ", "m:子育てパパ"),
        prefixes=("子育て中の", "元保育士の"),
        backgrounds=(
            "f:小学生と保育園児を育てている、フルタイム勤務の母です。",
            "m:共働きで、保育園の送り迎えを担当している父親です。",
            "保育士として十年ほど働いてきました。",
            "子どもが三人いて、今は一番下が中学生になりました。",
            "育休中に誰とも話さない日が続いて、つらかった経験があります。",
        ),
        offers=(
            "寝かしつけ、偏食、きょうだいげんかなど、日々の小さな悩みも聞かせてください。",
            "正解を押しつけることはせず、がんばっている気持ちを受け止めます。",
            "ママだけでなく、パパからのご相談も歓迎です。",
        ),
    ),
    Theme(
        key="kaigo",
        category="nayami",
        related=("keicho",),
        weight=4,
        concepts=(
            "介護の悩み、ひとりで抱えこまないでください",
            "親の介護のこと、誰かに話すだけでも違います",
            "介護と仕事の両立に疲れたときの話し相手に",
            "元ケアマネです。介護の困りごとを聞きます",
            "がんばりすぎている介護者さんの、ひと休みの場所に",
        ),
        titles=("介護相談", "元ケアマネ"),
        prefixes=("元ケアマネの", "介護経験者の"),
        backgrounds=(
            "介護職として十二年、高齢者施設で働いてきました。",
            "母の介護を五年間続け、昨年見送りました。",
            "ケアマネジャーとして、たくさんのご家族のお話を聞いてきました。",
        ),
        offers=(
            "施設選びや制度の話から、家族への不満まで、何でも話してください。",
            "介護をしているあなた自身の気持ちを、いちばん大切にしたいと思っています。",
            "「もう限界かも」と感じたときこそ、声を聞かせてください。",
        ),
    ),
    Theme(
        key="shukatsu",
        category="shigoto",
        related=("nayami", "zatsudan"),
        weight=5,
        concepts=(
            "就活の不安、先輩として話を聞きます",
            "ES・面接の悩み、気軽に相談してください",
            "内定が出なくて焦っているあなたへ",
            "就活も進路も、答えは一緒に探しましょう",
            "面接練習の相手になります。緊張してもOKです",
        ),
        titles=("就活相談", "就活サポート"),
        prefixes=("就活応援の", "就活の先輩の"),
        backgrounds=(
            "人材会社で新卒採用を担当していました。",
            "数年前に就活を終えたばかりの、社会人三年目です。",
            "大学のキャリアセンターで学生の相談を受けていたことがあります。",
        ),
        offers=(
            "自己分析やエントリーシート、面接の受け答えまで、一緒に考えます。",
            "周りと比べて落ち込んでしまう気持ちも、まずは聞かせてください。",
            "模擬面接をしたい方は、最初にそう言ってもらえればすぐ始めます。",
        ),
    ),
    Theme(
        key="ningen",
        category="nayami",
        related=("shigoto", "keicho", "renai"),
        weight=8,
        concepts=(
            "人間関係に疲れたら、まずは話してみませんか",
            "職場・友だち・家族……人づきあいの悩みを聞きます",
            "「あの人とうまくいかない」を一緒にほどいていきます",
            "気をつかいすぎて疲れてしまう方へ",
            "ママ友、義実家、ご近所づきあいの悩みもどうぞ",
        ),
        titles=("人間関係の相談", "人づきあい相談"),
        prefixes=("人づきあいに悩んできた", "心理学を学ぶ"),
        backgrounds=(
            "私も人に気をつかいすぎて、疲れてしまうタイプでした。",
            "総務の仕事で、社員の方の相談を受けることが多かったです。",
            "心理学を学んでいて、人間関係の悩みにずっと関心があります。",
        ),
        offers=(
            "誰が悪いかを決めるのではなく、あなたがどうしたいかを一緒に考えます。",
            "言い返せなかったこと、本当は言いたかったことを、ここで話してみてください。",
            "職場、友人、家族、パートナーなど、相手は誰でも大丈夫です。",
        ),
    ),
    Theme(
        key="otaku",
        category="zatsudan",
        related=(),
        weight=4,
        concepts=(
            "アニメ・漫画の話、思いきり語りましょう",
            "推しの話、いくらでも聞きます！",
            "ゲーム好き集まれ。最近なにをやっていますか？",
            "今期のアニメ、何を見ていますか？語り合いましょう",
        ),
        titles=("アニメ雑談", "推し活トーク"),
        prefixes=("アニメ好きの", "ゲーム好きの", "推し活中の"),
        backgrounds=(
            "アニメと漫画が大好きで、毎期の新作は欠かさずチェックしています。",
            "休みの日は、たいていゲームをしています。",
            "ライブや舞台によく足を運ぶ、推し活歴十年のオタクです。",
        ),
        offers=(
            "推しの話、最近ハマっている作品など、なんでも語ってください。",
            "詳しくない作品の話でも、興味津々で聞かせてもらいます。",
            "笑い声が大きめなので、にぎやかなおしゃべりも得意です。",
        ),
    ),
    Theme(
        key="cinema",
        category="zatsudan",
        related=(),
        weight=2,
        concepts=(
            "映画とドラマの感想、語り合える人を探しています",
            "本や映画の話で、ゆっくりおしゃべりしませんか",
            "観たばかりの映画の話、聞かせてください",
        ),
        titles=("映画トーク", "本と映画の雑談"),
        prefixes=("映画好きの", "本好きの"),
        backgrounds=(
            "休日は映画館かカフェで過ごすことが多いです。",
            "年に百冊ほど本を読む、活字好きです。",
        ),
        offers=(
            "ネタバレありでもなしでも、あなたに合わせます。",
            "好きな作品の話をしているときの、あの楽しい時間を一緒に過ごしたいです。",
        ),
    ),
    Theme(
        key="tabi",
        category="zatsudan",
        related=(),
        weight=2,
        concepts=(
            "旅行の話、聞くのも話すのも大好きです",
            "料理とお酒の話で、ゆるっと雑談しませんか",
            "次の休みの行き先、一緒に考えませんか",
        ),
        titles=("旅と食の雑談",),
        prefixes=("旅好きの", "食いしん坊の"),
        backgrounds=(
            "国内外あわせて三十か所ほど旅をしてきました。",
            "料理が趣味で、週末はよく作り置きをしています。",
        ),
        offers=(
            "行ってみたい場所や、最近おいしかったものの話を聞かせてください。",
            "旅先での失敗談なら、いくらでもお話しできます。",
        ),
    ),
    Theme(
        key="pets",
        category="zatsudan",
        related=("keicho",),
        weight=2,
        concepts=(
            "猫の話だけで一時間いけます",
            "うちの子自慢、思う存分してください",
            "ペットを見送ったさみしさも、そっと聞きます",
        ),
        titles=("ペット雑談",),
        prefixes=("猫好きの", "犬好きの"),
        backgrounds=(
            "家に猫が二匹いて、毎日振り回されています。",
            "柴犬と暮らして八年になります。",
        ),
        offers=(
            "うちの子のかわいいところ、困ったところ、なんでも聞かせてください。",
            "ペットとの暮らしの小さな悩みも、気軽にどうぞ。",
        ),
    ),
    Theme(
        key="hitori",
        category="zatsudan",
        related=("keicho",),
        weight=7,
        concepts=(
            "ひとり暮らしのさみしい夜に、話し相手になります",
            "誰かと話したい。それだけの理由で大丈夫です",
            "今日一日、誰とも話していないあなたへ",
            "ちょっとした世間話の相手、お任せください",
            "「おかえり」って言ってほしい日にどうぞ",
        ),
        titles=("話し相手", "世間話"),
        prefixes=("のんびり屋の", "ほっこり系の"),
        backgrounds=(
            "地方から上京して、ひとり暮らしをしています。",
            "年上の方とも年下の方とも、話すのが好きです。",
            "定年を迎えて、時間にゆとりができました。",
        ),
        offers=(
            "今日食べたもの、道で見かけた猫の話、そんな世間話が大好きです。",
            "話すことが思いつかなくても、こちらから話題をふりますね。",
            "平日の昼間にいることが多いので、お昼休みにもどうぞ。",
            "笑い声が大きめなので、にぎやかなおしゃべりも得意です。",
        ),
    ),
    Theme(
        key="fufu",
        category="renai",
        related=("nayami", "keicho"),
        weight=4,
        concepts=(
            "夫婦のすれ違い、誰かに聞いてほしいときに",
            "結婚生活のモヤモヤ、ここで吐き出してください",
            "パートナーとの関係に悩んだら、まずは話してみて",
        ),
        titles=("夫婦関係の相談",),
        prefixes=("夫婦円満を目指す", "ふたり暮らしの"),
        backgrounds=(
            "結婚して十五年、山も谷もありました。",
            "一度離婚を経験し、今は再婚して穏やかに暮らしています。",
        ),
        offers=(
            "家事の分担、お金のこと、義実家との関係など、なんでもどうぞ。",
            "どちらが正しいかではなく、あなたの気持ちを大切に聞きます。",
        ),
    ),
    Theme(
        key="shokuba",
        category="shigoto",
        related=("keicho", "nayami"),
        weight=8,
        concepts=(
            "仕事のストレス、今日のうちに吐き出しましょう",
            "上司のこと、同僚のこと、ここだけで話してください",
            "休職・復職の不安に、経験者として寄りそいます",
            "月曜日がつらい人のための、日曜夜の話し相手",
        ),
        titles=("仕事の悩み", "働く人の味方"),
        prefixes=("会社員歴二十年の", "元管理職の"),
        backgrounds=(
            "管理職として、部下の悩みを聞く立場も経験してきました。",
            "私自身、働きすぎて体調を崩し、休職したことがあります。",
            "会社員として二十年、いろいろな職場を見てきました。",
        ),
        offers=(
            "「辞めたい」という気持ちも、否定せずに聞きます。",
            "誰にも言えない職場の話、ここで安心して話してください。",
        ),
    ),
)
# Cumulative weights, precomputed: random.choices would otherwise redo this per call.
_THEME_CUM_WEIGHTS = tuple(itertools.accumulate(theme.weight for theme in THEMES))

# How I listen — fits any storefront (optional third sentence).
MANNER_SENTENCES = (
    "話すのが苦手な方も、どうぞ安心してください。",
    "沈黙があっても気にしないので、ゆっくりで大丈夫です。",
    "相づちを打ちながら、最後までしっかり聞きます。",
    "初めての方でも、緊張しなくて大丈夫です。",
    "関西出身なので、ときどき関西弁が出ます。",
    "声が落ち着いていると言われることが多いです。",
    "お聞きした話は、もちろん誰にも言いません。",
)
# Last sentence of every description.
CLOSING_SENTENCES = (
    "お気軽に声をかけてください。",
    "短い時間でも、お話しできたらうれしいです。",
    "途中で切っても大丈夫なので、気軽にどうぞ。",
    "あなたとお話しできるのを楽しみにしています。",
    "まずは五分だけでも、どうぞ。",
    "疲れた日は、ここで肩の力を抜いていってくださいね。",
    "気が向いたときに、いつでもどうぞ。",
)

# Specialist topics (free tags beside the categories), per theme.
THEME_TOPICS: dict[str, tuple[str, ...]] = {
    "guchi": _words("職場の愚痴 家族の愚痴 ストレス発散 聞き役"),
    "keicho": _words("傾聴 HSP 不安 気持ちの整理 自己肯定感"),
    "renai": _words("片思い 復縁 失恋 婚活 マッチングアプリ 遠距離恋愛"),
    "career": _words("転職 キャリア相談 副業 面接対策 職務経歴書"),
    "yoru": _words("寝落ち通話 深夜 不眠 作業通話"),
    "kosodate": _words("子育て イヤイヤ期 ワンオペ育児 不登校 育休"),
    "kaigo": _words("介護 認知症 ケアマネ 介護離職"),
    "shukatsu": _words("就活 ES添削 模擬面接 自己分析"),
    "ningen": _words("人間関係 職場の人間関係 ママ友 義実家 HSP"),
    "otaku": _words("アニメ 推し活 ゲーム 漫画 VTuber"),
    "cinema": _words("映画 ドラマ 読書 ミステリー"),
    "tabi": _words("旅行 グルメ お酒 料理"),
    "pets": _words("猫 犬 ペットロス"),
    "hitori": _words("ひとり暮らし 世間話 シニア歓迎"),
    "fufu": _words("夫婦関係 セックスレス 離婚 再婚 家事分担"),
    "shokuba": _words("休職 復職 パワハラ 仕事のストレス 管理職"),
}

# Blog posts: a title (theme-specific or general) and paragraphs made of whole sentences.
BLOG_TITLES: dict[str, list[str]] = {
    "guchi": ["愚痴を言うのは悪いことじゃない", "今週いちばん多かったお話"],
    "keicho": ["「聴く」と「聞く」のちがい", "沈黙の時間について"],
    "renai": ["片思いが苦しい夜に", "復縁を考えている方へ"],
    "career": ["転職を迷っている方へ", "キャリアの棚卸しのすすめ"],
    "yoru": ["眠れない夜の過ごし方", "深夜の雑談で話したこと"],
    "kosodate": ["子育てに正解はない", "ワンオペの日を乗りきるコツ"],
    "kaigo": ["介護する人こそ休んでほしい", "ひとりで抱えこまないために"],
    "shukatsu": ["面接で緊張してしまう方へ", "自己分析は話しながらでいい"],
    "ningen": ["気をつかいすぎてしまう方へ", "苦手な人との距離のとり方"],
    "otaku": ["今期の推しアニメ", "推し活が元気をくれる"],
    "cinema": ["最近観た映画の話", "秋に読みたい本"],
    "tabi": ["旅先での失敗談", "週末の作り置き"],
    "pets": ["うちの猫の話", "ペットを見送った方へ"],
    "hitori": ["ひとり暮らしのさみしさ", "なんでもない話の大切さ"],
    "fufu": ["夫婦のすれ違いについて", "家事分担で悩んだら"],
    "shokuba": ["月曜日がつらい方へ", "休職してわかったこと"],
}
GENERIC_BLOG_TITLES = ["自己紹介", "はじめての方へ", "最近うれしかったこと", "待機時間のお知らせ"]
BLOG_OPENINGS = (
    "こんにちは。いつもお話しくださる皆さま、ありがとうございます。",
    "今日は少し、私自身のことを書いてみます。",
    "最近、同じようなご相談をいただくことが続いたので、ブログにまとめてみました。",
    "はじめましての方も、いつもの方も、読んでくださってありがとうございます。",
)
BLOG_MIDDLES = (
    "そのときの経験が、今こうしてお話を聞く原点になっています。",
    "だからこそ、どんなお話も否定せずに受け止めたいと思っています。",
    "話しているうちに、気持ちが整理されていくことはよくあります。",
    "ひとりで考えこむより、声に出してみると案外すっきりするものです。",
)

# --- Reviews -----------------------------------------------------------------------------
# What customers write after a session, by stars. Whole sentences; one or two per review.
REVIEW_SENTENCES = {
    5: (
        "最後まで否定せずに聞いてもらえて、気持ちがすっと軽くなりました。",
        "話し始めるまで緊張していましたが、やさしい相づちに安心できました。",
        "うまく言葉にできない話も、ゆっくり待ってくださってうれしかったです。",
        "声がおだやかで、気づいたら三十分たっていました。",
        "誰にも話せなかったことを、初めて話せた気がします。",
        "的確な質問のおかげで、頭の中がずいぶん整理できました。",
        "夜遅くでしたが、明るく迎えてもらえて元気が出ました。",
        "また話を聞いてほしいときは、必ずこちらに来ます。",
        "一緒に笑ってくださって、久しぶりに楽しい時間でした。",
        "具体的なアドバイスもいただけて、明日から動けそうです。",
    ),
    4: (
        "落ち着いて話せました。次はもう少し長めにお願いしたいです。",
        "丁寧に聞いていただけました。少し緊張しましたが、話せてよかったです。",
        "話しやすい雰囲気でした。またお願いすると思います。",
        "アドバイスが参考になりました。ありがとうございました。",
        "初めてでしたが、安心して利用できました。",
    ),
    3: (
        "話は聞いてもらえましたが、少し時間が足りない感じでした。",
        "悪くはなかったのですが、もう少しアドバイスがほしかったです。",
    ),
    2: ("今回は話がかみ合わず、あまり話せませんでした。",),
    1: ("途中で通信が切れてしまい、ほとんど話せませんでした。",),
}
# Most people who bother to write are happy; a few are not.
_STARS = (5, 4, 3, 2, 1)
_STARS_CUM_WEIGHTS = (60, 88, 96, 98, 100)
# Review rows per generated storefront: at most this many, so a catalogue of 400,000 stays
# quick to seed; each is a real completed session and review, so the rating is their average.
MAX_REVIEWS = 6


# --- Customers ---------------------------------------------------------------------------

CUSTOMER_NOUNS = _words("""
    みかん もも しろくま たぬき ぽんず こむぎ おもち きなこ ちくわ さば くま うさぎ ねこ
    ひよこ らっこ すずめ くらげ だいふく
""")
CUSTOMER_MODIFIERS = _words("""
    眠れない 迷子の はらぺこ 通りすがりの 夜勤明けの 考えすぎの のんびり ねむたい おつかれ
    雨の日の 週末の 三日坊主の
""")
CUSTOMER_HANDLES = _words("yuki haru mocha kuma sora nana taro momo rin")


# --- Generation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProviderData:
    """One demo storefront, ready to be turned into User + Provider rows."""

    display_name: str
    concept: str
    description: str
    category_slugs: tuple[str, ...]  # 1–3, in CATEGORY_SLUGS order
    accepts_newcomers: bool
    age_seconds: int  # how long ago the storefront was opened, 0 … MAX_AGE_SECONDS
    # What the storefront sells and how it stands (drawn after the fields above, so
    # adding them left every earlier field of every record unchanged).
    offerings: tuple[OfferingData, ...] = ()
    tags: tuple[str, ...] = ()  # specialist topics, 0–3
    presence: str = "offline"  # a storefront.PresenceState value
    rank: int = 0  # storefront.Rank, 0 (regular) … 4 (platinum)
    recommend_score: int = 0
    posts: tuple[PostData, ...] = ()
    # Completed sessions with a review; the rating shown is computed from these rows.
    reviews: tuple[ReviewData, ...] = ()
    gender: str = ""  # "f" or "m": which text and portrait suit the storefront

    @property
    def price_from(self) -> int | None:
        prices = [offering.price_per_minute for offering in self.offerings]
        return min(prices) if prices else None


@dataclass(frozen=True, slots=True)
class OfferingData:
    channel: str  # "voice" or "chat"
    price_per_minute: int  # yen
    first_free_minutes: int = 0
    first_session_cap_minutes: int | None = None
    payment: str = "prepaid"


@dataclass(frozen=True, slots=True)
class PostData:
    title: str
    body: str  # Markdown
    age_seconds: int  # how long ago it was published


@dataclass(frozen=True, slots=True)
class ReviewData:
    stars: int  # 1–5
    text: str
    age_seconds: int  # how long ago the session ended
    minutes: int  # how long it lasted


@dataclass(frozen=True, slots=True)
class CustomerData:
    """One demo customer: a nickname (the user's display name) and how long ago they joined."""

    display_name: str
    age_seconds: int


@functools.cache  # a handful of (gender, tuple) pairs, asked for on every record
def _suits(gender: str, items: tuple[str, ...]) -> tuple[str, ...]:
    """Items usable for this gender, with their "f:"/"m:" marks removed."""
    chosen = []
    for item in items:
        if item[:2] in ("f:", "m:"):
            if item[0] == gender:
                chosen.append(item[2:])
        else:
            chosen.append(item)
    return tuple(chosen)


# Which script a name is written in: hiragana 50 %, katakana 20 %, kanji 30 %.
_NAME_POOLS = (HIRAGANA_NAMES, KATAKANA_NAMES, KANJI_NAMES)
_NAME_POOL_CUM_WEIGHTS = (5, 7, 10)


def _given_name(rng: random.Random, gender: str) -> str:
    pools = rng.choices(_NAME_POOLS, cum_weights=_NAME_POOL_CUM_WEIGHTS)[0]
    # Mostly gendered names, some neutral ones.
    return rng.choice(pools[gender] if rng.random() < 0.7 else pools["n"])


# Names kept for the fixed demo logins, so no generated storefront looks like theirs.
_RESERVED_NAMES = frozenset({"はるか", "ゆきこ"})


@functools.cache
def _name_deck(seed: int) -> tuple[tuple[str, str], ...]:
    """Every (given name, gender) once, shuffled per seed: record n of a seed takes card n,
    so the first few hundred storefronts of a seed all have different names ("n" names
    take either gender's text)."""
    cards: dict[str, str] = {}
    for pools in _NAME_POOLS:
        for gender, names in pools.items():
            for name in names:
                if name not in _RESERVED_NAMES:
                    cards.setdefault(name, gender)
    deck = sorted(cards.items())
    random.Random(f"aizuchi-demo:names:{seed}").shuffle(deck)  # noqa: S311 — demo data
    return tuple(deck)


def _display_name(rng: random.Random, gender: str, theme: Theme, name: str | None = None) -> str:
    drawn = _given_name(rng, gender)
    name = name or drawn
    titles = _suits(gender, theme.titles)
    style = rng.random()
    if style < 0.25:  # みさき
        return name
    if style < 0.55:  # 夜ふかしのハル / 元人事の誠
        prefixes = GENERIC_NAME_PREFIXES if rng.random() < 0.5 else theme.prefixes
        return rng.choice(prefixes) + name
    if style < 0.78:  # キャリア相談 真由美
        return f"{rng.choice(titles)} {name}"
    if style < 0.93:  # あおい｜傾聴カウンセラー
        return f"{name}｜{rng.choice(titles)}"
    return f"{name}さん"


def _description(rng: random.Random, gender: str, theme: Theme, name: str = "") -> str:
    # A greeting with the name, then 2–4 whole sentences: who I am, [what we can talk
    # about], [how I listen], closing. The name makes every storefront's text its own.
    sentences = [f"はじめまして、{name}です。"] if name else []
    sentences.append(rng.choice(_suits(gender, theme.backgrounds)))
    if rng.random() < 0.75:
        sentences.append(rng.choice(theme.offers))
    if rng.random() < 0.45:
        sentences.append(rng.choice(MANNER_SENTENCES))
    sentences.append(rng.choice(CLOSING_SENTENCES))
    return "".join(sentences)


def _categories(rng: random.Random, theme: Theme) -> tuple[str, ...]:
    # One category for 45 %, two for 40 %, three for 15 % (as many as the theme allows).
    wanted = rng.choices((1, 2, 3), cum_weights=(45, 85, 100))[0]
    extra = rng.sample(theme.related, min(wanted - 1, len(theme.related)))
    chosen = {theme.category, *extra}
    return tuple(slug for slug in CATEGORY_SLUGS if slug in chosen)


def _offerings(rng: random.Random, theme: Theme) -> tuple[OfferingData, ...]:
    # Voice and chat for 90 %, voice only 6 %, chat only 4 %.
    style = rng.random()
    channels = ("voice", "chat") if style < 0.9 else ("voice",) if style < 0.96 else ("chat",)
    # Consultations cost more than chit-chat; a few experienced people charge a lot.
    base = 120 if theme.category in ("nayami", "shigoto", "renai") else 80
    offerings = []
    for channel in channels:
        price = base * rng.lognormvariate(0, 0.35) * (1.0 if channel == "voice" else 0.7)
        price = min(300, max(40, round(price / 10) * 10))
        free = rng.choices((0, 5, 10, 15, 30), cum_weights=(70, 80, 90, 95, 100))[0]
        cap = rng.choice((30, 60)) if free and rng.random() < 0.5 else None
        payment = "postpaid" if rng.random() < 0.1 else "prepaid"
        offerings.append(OfferingData(channel, price, free, cap, payment))
    return tuple(offerings)


def _standing(rng: random.Random, age_seconds: int) -> tuple[int, Decimal, int, int]:
    """rank, a drawn rating average and count (how busy the storefront is), recommend score —
    older shops have more sessions."""
    if rng.random() < 0.3:
        rating_count = 0
    else:
        months = 1 + age_seconds / (30 * 24 * 3600)
        rating_count = max(1, int(rng.expovariate(1 / (4 * months))))
    rating = Decimal("0.00")
    if rating_count:
        mean = min(5.0, max(1.0, rng.gauss(4.4, 0.45)))
        rating = Decimal(f"{mean:.2f}")
    # Rank follows the number of sessions behind the reviews, with some luck.
    score = rating_count * (float(rating) / 5) * rng.uniform(0.6, 1.4)
    rank = sum(score >= threshold for threshold in (15, 50, 120, 300))
    recommend = int(rank * 150 + float(rating) * 60 + min(rating_count, 200) + rng.randrange(120))
    return rank, rating, rating_count, recommend


def _presence(rng: random.Random) -> str:
    return rng.choices(
        ("offline", "open", "appointment", "in_session", "away"),
        cum_weights=(84, 91, 94, 98, 100),
    )[0]


def _posts(rng: random.Random, gender: str, theme: Theme) -> tuple[PostData, ...]:
    if rng.random() >= 0.2:  # one storefront in five keeps a blog
        return ()
    titles = rng.sample(BLOG_TITLES[theme.key] + GENERIC_BLOG_TITLES, rng.randint(1, 3))
    posts = []
    for title in titles:
        paragraphs = [
            rng.choice(BLOG_OPENINGS),
            rng.choice(theme.offers) + rng.choice(MANNER_SENTENCES),
            rng.choice(_suits(gender, theme.backgrounds)) + rng.choice(BLOG_MIDDLES),
            rng.choice(CLOSING_SENTENCES),
        ]
        posts.append(PostData(title, "\n\n".join(paragraphs), rng.randrange(MAX_AGE_SECONDS // 4)))
    return tuple(posts)


def _reviews(rng: random.Random, drawn: int, age_seconds: int) -> tuple[ReviewData, ...]:
    """Up to MAX_REVIEWS reviews (as many as the drawn count allows), newest first, all
    written after the storefront opened."""
    reviews = []
    for _ in range(min(drawn, MAX_REVIEWS)):
        stars = rng.choices(_STARS, cum_weights=_STARS_CUM_WEIGHTS)[0]
        sentences = REVIEW_SENTENCES[stars]
        count = 2 if stars >= 4 and rng.random() < 0.4 else 1
        text = "".join(rng.sample(sentences, min(count, len(sentences))))
        reviews.append(
            ReviewData(
                stars=stars,
                text=text if rng.random() < 0.85 else "",
                age_seconds=rng.randrange(3600, max(3601, age_seconds)),
                minutes=rng.choice((10, 15, 20, 25, 30, 45, 60)),
            )
        )
    return tuple(sorted(reviews, key=lambda review: review.age_seconds))


_CATEGORY_NAMES = {row[0]: row[1] for row in DEFAULT_CATEGORIES}


def _tags(topics: list[str], category_slugs: tuple[str, ...]) -> tuple[str, ...]:
    """Topics, less any that only repeat one of the storefront's categories (a 傾聴
    storefront shows 「傾聴」 once, not again as 「#傾聴」)."""
    shown = {_CATEGORY_NAMES[slug] for slug in category_slugs}
    return tuple(topic for topic in topics if topic not in shown)


def _given_name_in(display_name: str) -> str:
    """The given name inside a drawn display name (for the greeting), or ""."""
    for pools in _NAME_POOLS:
        for names in pools.values():
            for name in names:
                if name in display_name:
                    return name
    return ""


def make_provider(rng: random.Random, card: tuple[str, str] | None = None) -> ProviderData:
    """One realistic storefront drawn from `rng`; `card` is its (given name, gender) from
    the seed's name deck (drawn from `rng` without one)."""
    theme = rng.choices(THEMES, cum_weights=_THEME_CUM_WEIGHTS)[0]
    gender = rng.choice("fm")
    name = None
    if card is not None:
        name, card_gender = card
        gender = card_gender if card_gender in ("f", "m") else gender
    display_name = _display_name(rng, gender, theme, name)
    concept = rng.choice(_suits(gender, theme.concepts))
    given = name or _given_name_in(display_name)
    description = _description(rng, gender, theme, given)
    category_slugs = _categories(rng, theme)
    accepts_newcomers = rng.random() < 0.85
    age_seconds = rng.randrange(MAX_AGE_SECONDS)
    # Drawn after the fields above, so those stay what they were before these existed.
    rank, _rating, drawn_reviews, recommend = _standing(rng, age_seconds)
    topics = THEME_TOPICS[theme.key]
    return ProviderData(
        display_name=display_name,
        concept=concept,
        description=description,
        category_slugs=category_slugs,
        accepts_newcomers=accepts_newcomers,
        age_seconds=age_seconds,
        offerings=_offerings(rng, theme),
        tags=_tags(
            rng.sample(topics, min(len(topics), rng.choice((0, 1, 1, 2, 2, 3)))), category_slugs
        ),
        presence=_presence(rng),
        rank=rank,
        recommend_score=recommend,
        posts=_posts(rng, gender, theme),
        # Drawn last, so every field above stays what it was before reviews were rows.
        reviews=_reviews(rng, drawn_reviews, age_seconds),
        gender=gender,
    )


def make_customer_nickname(rng: random.Random) -> str:
    """A nickname a customer might pick: 「もも」「眠れないうさぎ」「yuki_0312」."""
    style = rng.random()
    if style < 0.35:
        pools = rng.choice((HIRAGANA_NAMES, KATAKANA_NAMES))
        return rng.choice(pools[rng.choice("fmn")])
    if style < 0.6:
        return rng.choice(CUSTOMER_NOUNS)
    if style < 0.85:
        return rng.choice(CUSTOMER_MODIFIERS) + rng.choice(CUSTOMER_NOUNS)
    return f"{rng.choice(CUSTOMER_HANDLES)}_{rng.randrange(10, 10000)}"


def make_customer(rng: random.Random) -> CustomerData:
    """One demo customer drawn from `rng`."""
    return CustomerData(
        display_name=make_customer_nickname(rng), age_seconds=rng.randrange(MAX_AGE_SECONDS)
    )


# Each record is drawn from its own seed (seed, kind, n) rather than from one long
# stream, so record n is the same whether it is made in the first run, in a later run
# that continues the numbering, or in a batch of any size.


def _record_rng(rng: random.Random, kind: str, seed: int, n: int) -> random.Random:
    # A string seed is hashed (SHA-512), so it is stable across processes and
    # negative seeds stay distinct from positive ones.
    rng.seed(f"aizuchi-demo:{kind}:{seed}:{n}")
    return rng


def providers(seed: int, start: int, count: int) -> Iterator[tuple[int, ProviderData]]:
    """(n, data) for providers start … start + count - 1 of this seed."""
    rng = random.Random()  # noqa: S311 — demo data, not security
    deck = _name_deck(seed)
    for n in range(start, start + count):
        yield n, make_provider(_record_rng(rng, "provider", seed, n), deck[(n - 1) % len(deck)])


def customers(seed: int, start: int, count: int) -> Iterator[tuple[int, CustomerData]]:
    """(n, data) for customers start … start + count - 1 of this seed."""
    rng = random.Random()  # noqa: S311 — demo data, not security
    for n in range(start, start + count):
        yield n, make_customer(_record_rng(rng, "customer", seed, n))


# --- Fixed demo logins -------------------------------------------------------------------

DEMO_PASSWORD = "aizuchi-demo"  # noqa: S105 — published on purpose: demo data only
# Bulk demo users get addresses like p1-42@demo.aizuchi.example (seed 1, provider 42).
BULK_EMAIL_DOMAIN = "demo.aizuchi.example"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    display_name: str
    label_ja: str
    label_en: str
    is_admin: bool = False
    storefront: ProviderData | None = None


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        email="customer@aizuchi.example",
        display_name="ゆきこ",
        label_ja="利用者",
        label_en="Customer",
    ),
    DemoLogin(
        email="provider@aizuchi.example",
        display_name="はるか",
        label_ja="聞き手",
        label_en="Provider",
        storefront=ProviderData(
            display_name="聞き上手のはるか",
            concept="否定せず、急かさず、最後まで聴きます。傾聴ならおまかせください",
            description=(
                "傾聴の講座を受けてから、三年ほど話を聴く活動を続けています。"
                "アドバイスはせず、あなたの言葉をそのまま大切に受け止めます。"
                "沈黙があっても気にしないので、ゆっくりで大丈夫です。"
                "お気軽に声をかけてください。"
            ),
            category_slugs=("nayami", "keicho"),
            accepts_newcomers=True,
            age_seconds=180 * 24 * 60 * 60,
            offerings=(
                OfferingData("voice", 120, first_free_minutes=10, first_session_cap_minutes=60),
                # The listener's "free start": postpaid, first 30 minutes free, at most 60.
                OfferingData(
                    "chat",
                    80,
                    first_free_minutes=30,
                    first_session_cap_minutes=60,
                    payment="postpaid",
                ),
            ),
            tags=("HSP", "気持ちの整理", "寝る前の話"),
            gender="f",
            presence="open",
            rank=2,
            recommend_score=700,
            reviews=tuple(
                ReviewData(stars, text, days * 24 * 60 * 60, minutes)
                for stars, text, days, minutes in (
                    (5, "最後まで否定せずに聞いてもらえて、気持ちがすっと軽くなりました。", 2, 30),
                    (5, "沈黙しても急かされず、自分のペースで話せました。また来ます。", 5, 25),
                    (4, "話しやすい雰囲気でした。次はもう少し長めにお願いしたいです。", 9, 15),
                    (5, "声がおだやかで、気づいたら三十分たっていました。", 16, 30),
                    (5, "", 23, 20),
                    (4, "初めてでしたが、安心して利用できました。", 31, 10),
                    (5, "誰にも話せなかったことを、初めて話せた気がします。", 44, 45),
                    (5, "仕事の愚痴を聞いてもらいました。笑って眠れそうです。", 60, 20),
                )
            ),
            posts=(
                PostData(
                    "「聴く」と「聞く」のちがい",
                    "今日は少し、私自身のことを書いてみます。\n\n"
                    "傾聴の講座で最初に教わったのは、耳だけでなく心で聴くということでした。\n\n"
                    "あなたとお話しできるのを楽しみにしています。",
                    7 * 24 * 60 * 60,
                ),
            ),
        ),
    ),
    DemoLogin(
        email="admin@aizuchi.example",
        display_name="運営スタッフ",
        label_ja="管理者（スタッフ）",
        label_en="Admin (staff, superuser)",
        is_admin=True,
    ),
)
