"""Help in the user's language: typer's command and group classes, with their help texts, option help, the
help option, section titles and usage line looked up in the catalogue when the language is Chinese, and option
values typed in Chinese (`牵头`, `红`, `表格`) accepted where a choice takes the English word."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import typer.core
from typer.core import TyperCommand

from kg import i18n
from kg.cli.failure import KgGroup

# typer formats its section titles and [default: …] through gettext.gettext; route them to our catalogue.
typer.core._ = i18n._  # type: ignore[attr-defined,assignment]


@contextlib.contextmanager
def _in_language(commands: list[Any]) -> Iterator[None]:
    """Swap the help of these commands and their parameters for the translation while help is written."""
    saved: list[tuple[Any, str, Any]] = []
    try:
        if i18n.chinese():
            for cmd in commands:
                for obj in (cmd, *getattr(cmd, "params", [])):
                    for attr in ("help", "short_help", "epilog", "show_default"):
                        value = getattr(obj, attr, None)
                        if isinstance(value, str) and value:
                            saved.append((obj, attr, value))
                            setattr(obj, attr, i18n._(value))
        yield
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)


class _Translated:
    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and i18n.chinese():
            option.help = i18n._(option.help)
        return option

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=i18n._("Usage: "))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        subs = list(getattr(self, "commands", {}).values())
        with _in_language([self, *subs]):
            super().format_help(ctx, formatter)  # type: ignore[misc]

    def make_context(self, info_name: Any, args: list[str], parent: Any = None, **extra: Any) -> Any:
        args = [_english_choice(self, args, i) for i in range(len(args))]
        return super().make_context(info_name, args, parent, **extra)  # type: ignore[misc]


def _english_choice(cmd: Any, args: list[str], i: int) -> str:
    """An option value typed in Chinese becomes the English word, when the option before it takes a choice."""
    value = args[i]
    word = i18n.english_word(value)
    if word == value or i == 0:
        return value
    for param in getattr(cmd, "params", []):
        if args[i - 1] in getattr(param, "opts", []) and word in _choices(param):
            return word
    return value


def _choices(param: Any) -> tuple[str, ...]:
    """The words a choice option takes (typer describes an Enum-typed option by its annotation)."""
    from enum import Enum

    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return tuple(str(member.value) for member in annotation)
    return tuple(getattr(getattr(param, "type", None), "choices", ()) or ())


class Command(_Translated, TyperCommand):
    """A `kg` command whose help follows the user's language."""


class Group(_Translated, KgGroup):
    """A `kg` group whose help follows the user's language; its failures go through kg/cli/failure.py, which
    writes them in the user's language too."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        i18n.set_language(_lang_in(kwargs.get("args", args[0] if args else None)))  # each run starts afresh
        return super().main(*args, **kwargs)


def _lang_in(args: Any) -> str | None:
    """`--lang X` from the command line, read before click parses it (help and usage errors come first)."""
    import sys

    argv = list(args) if args is not None else sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


# Fixed texts of the help machinery itself (typer's own, or written by the classes above).
CHROME = ("Usage: ", "Options", "Arguments", "Commands", "Show this message and exit.", "default: {default}",
          "required", "env var: {var}", "Error: ", "(dynamic)", "Aborted!")


def help_messages() -> list[str]:
    """Every help text of every command, group and parameter, in the order `kg --help` walks them."""
    from kg.cli.common import app

    found: dict[str, None] = dict.fromkeys(CHROME)

    def walk(cmd: Any) -> None:
        for obj in (cmd, *getattr(cmd, "params", [])):
            for attr in ("help", "short_help", "epilog", "show_default"):
                value = getattr(obj, attr, None)
                if isinstance(value, str) and value:
                    found[value] = None
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return list(found)
