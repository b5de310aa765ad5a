"""Lines of the seed documents (../shared/corpus/seeds) that tests quote, as a passage shows them."""

from __future__ import annotations

# llm-lecture-slides-ja.txt, where 「GPT-3のパラメータ数は？」 drew the training-token count from the
# bundled model: the number stands on the bullet below the heading 「Transformerのパラメータ」.
GPT3_SLIDE = """• モデルのパラメータの数 (100億個以上を基準とする文献も)
• データとして大量のテキストを用意し、テキストに含まれるトークンの並びに対して
    高い確率を出力するようにパラメータを修正する(学習する)
Transformerのパラメータ
    • GPT-3の場合、データに含まれる総トークン数は約4900億
    データとなる大量のテキスト(固定)
"""
