"""Keep the Chinese catalogue in step with the commands: `python -m kg.cli.catalogue` adds new help texts."""

from __future__ import annotations

from kg import i18n
from kg.cli.translated import help_messages


def update_catalogue() -> tuple[int, int]:
    """Add every help text missing from kg.po (untranslated, for a translator to fill) and drop the help texts no
    command has any more; report (added, dropped).
    Entries commented `message` are templates for errors and titles, kept by hand."""
    from babel.messages.pofile import read_po, write_po

    po = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with po.open("rb") as fh:
        cat = read_po(fh, locale="zh_CN", domain=i18n.DOMAIN)
    wanted = help_messages()
    added = 0
    for msgid in wanted:
        if msgid not in cat:
            cat.add(msgid, "", auto_comments=["help"])
            added += 1
    stale = [m.id for m in cat if isinstance(m.id, str) and m.id and "help" in m.auto_comments and m.id not in wanted]
    for old in stale:  # a help text that changed: its old entry goes, the new one waits for its translation
        del cat[old]
    with po.open("wb") as fh:
        write_po(fh, cat, width=0, sort_output=False)
    return added, len(stale)


if __name__ == "__main__":  # python -m kg.cli.catalogue: bring kg.po up to date with the commands' help
    added, stale = update_catalogue()
    print(f"added {added}, stale {stale}")
