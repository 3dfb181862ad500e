"""How printed lines become a paragraph's lines (kg/ingest/pdf_lines.py), on lines placed by hand as a PDF places
them: what is joined, what is not, and which page furniture goes. tests/test_parse_files.py prints corpus plans to
PDF with LibreOffice for the whole road."""

from __future__ import annotations

from kg.ingest.pdf_lines import Line, drop_furniture, join_wrapped

SIZE, LEFT, PITCH = 16.0, 80.0, 28.0
RIGHT = LEFT + 28 * SIZE  # 28 characters a line, as GB/T 9704 sets a page


def page(rows: list[tuple[str, float]], number: int = 0, top: float = 760.0) -> list[Line]:
    """Lines one pitch apart; each (text, indent in characters). x1 is where the text ends, one em a character."""
    out = []
    for k, (text, indent) in enumerate(rows):
        x0 = LEFT + indent * SIZE
        out.append(Line(text, x0, x0 + len(text) * SIZE, top - k * PITCH, SIZE, number))
    return out


FULL = "以新发展理念为引领以智能制造为主攻方向推动数字技术与制造业深度"  # 30 characters
WRAP_A = FULL[:28]


def test_a_wrapped_sentence_is_joined_and_a_heading_is_not() -> None:
    lines = page([("一、总体要求", 0), ("（一）指导思想。" + WRAP_A[:20], 0), (WRAP_A[20:] + "融合。", 0),
                  ("（二）基本原则", 0), ("——企业主体。" + WRAP_A[:21], 0), ("持。", 0),
                  (WRAP_A, 0), (WRAP_A[:27] + "。", 0), ("这是一个新段落。", 0)])
    assert join_wrapped(lines) == ["一、总体要求", "（一）指导思想。" + WRAP_A + "融合。", "（二）基本原则",
                                   "——企业主体。" + WRAP_A[:21] + "持。",
                                   # a full line ending a sentence, the next flush left: two paragraphs
                                   WRAP_A + WRAP_A[:27] + "。", "这是一个新段落。"]


def test_with_indented_first_lines_the_indent_tells_a_new_paragraph() -> None:
    lines = page([("一、总体要求", 2), (WRAP_A[:26], 2), (WRAP_A[:27] + "。", 0), ("下一行在页边。", 0),
                  (WRAP_A[:25] + "。", 2), ("新段落。", 2), ("（一）标题", 2), ("短句。", 2)])
    assert join_wrapped(lines) == ["一、总体要求", WRAP_A[:26] + WRAP_A[:27] + "。下一行在页边。",
                                   WRAP_A[:25] + "。", "新段落。", "（一）标题", "短句。"]


def test_a_numbered_item_with_a_hanging_indent_is_joined() -> None:
    lines = [Line("1." + WRAP_A[:27], LEFT, RIGHT, 760, SIZE, 0),  # Word's numbering: text under the text
             Line(WRAP_A[:26], LEFT + 2 * SIZE, RIGHT, 732, SIZE, 0),
             Line("完成。", LEFT + 2 * SIZE, LEFT + 5 * SIZE, 704, SIZE, 0),
             Line("2.另一项。", LEFT, LEFT + 6 * SIZE, 676, SIZE, 0)]
    lines += page([(WRAP_A, 0)] * 3, top=648)  # lines that reach the edge elsewhere
    assert join_wrapped(lines)[:2] == ["1." + WRAP_A[:27] + WRAP_A[:26] + "完成。", "2.另一项。"]


def test_a_page_with_no_line_at_the_edge_joins_nothing() -> None:
    lines = page([("临江市物流降本三年行动方案", 0), ("一、总体要求", 0), ("推动物流降本增效", 0)])
    assert join_wrapped(lines) == [line.text for line in lines]


def test_page_numbers_and_running_headers_go_body_lines_stay() -> None:
    def printed(number: int, first: str) -> list[Line]:
        header = Line("临江市文旅消费提振三年行动计划", LEFT + 7 * SIZE, RIGHT - 7 * SIZE, 800, SIZE, number)
        body = page([(first, 0), (WRAP_A, 0), (WRAP_A[:10] + "。", 0)], number, top=740)
        footers = [Line(f"— {number + 1} —", LEFT + 12 * SIZE, LEFT + 15 * SIZE, 60, SIZE, number),
                   Line(str(number + 1), LEFT + 13 * SIZE, LEFT + 14 * SIZE, 30, SIZE, number)]
        return [header, *body, *footers]

    pages = drop_furniture([printed(0, "市文化广电旅游局"), printed(1, "市文化广电旅游局")])
    # the header and both page numbers go; the unit standing first on both pages, at the body's pitch, stays
    assert [[line.text for line in lines] for lines in pages] == [["市文化广电旅游局", WRAP_A, WRAP_A[:10] + "。"]] * 2


def test_a_table_row_ending_at_the_edge_is_not_joined_to_the_next_row() -> None:
    """A 分工 table as a PDF gives it, one cell a line: the last column's cell may reach the right edge; the next
    row's 序号 or task cell is not part of it."""
    deadline = Line("2025年底前完成并持续推进", RIGHT - 12 * SIZE, RIGHT, 676, SIZE, 0)
    number = Line("4", LEFT, LEFT + SIZE, 648, SIZE, 0)
    task = Line("推进老旧小区改造", LEFT, LEFT + 8 * SIZE, 648, SIZE, 0)
    for row in ([deadline, number], [deadline, task]):
        assert join_wrapped(page([(WRAP_A, 0)] * 3) + row)[-2:] == [line.text for line in row]
