"""Write the label kinds' names and colours (registry.vocabulary.KIND_STYLES, their one source) into every copy the
browser needs: the popup's stylesheet and script, the link labels' content script, the server pages' base template.

Usage: python scripts/make_palette.py [--check]   (--check: exit 1, naming the files, when any is out of step)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from masthead.registry.vocabulary import KIND_STYLES  # noqa: E402

KINDS = [kind for kind in KIND_STYLES if kind != "neutral"]


def popup_css(text: str) -> str:
    """The light :root block's kind variables, then the dark one's (the first and second of each name)."""
    for theme in ("light", "dark"):
        for kind, style in KIND_STYLES.items():
            for suffix, key in (("", theme), ("-bg", f"{theme}_bg")):
                count = 1 if theme == "light" else 2
                text = _nth_sub(text, rf"(--{kind}{suffix}: )#[0-9a-fA-F]{{6}};", rf"\g<1>{style[key]};", count)
    return text


def base_html(text: str) -> str:
    for theme in ("light", "dark"):
        line = " ".join(f"--{kind}: {style[theme]};" for kind, style in KIND_STYLES.items())
        text = _nth_sub(text, r"--control: #\w+; --designation: #\w+; --restriction: #\w+; --platform: #\w+; --neutral: #\w+;",
                        line, 1 if theme == "light" else 2)
    return text


def labels_js(text: str) -> str:
    rows = "\n".join(f'  {kind}: {{ name: "{KIND_STYLES[kind]["name"]}", short: "{KIND_STYLES[kind]["short"]}", '
                     f'colour: "{KIND_STYLES[kind]["light"]}" }},' for kind in KINDS)
    text = re.sub(r"export const LABEL_KINDS = \{\n.*?\n\};", f"export const LABEL_KINDS = {{\n{rows}\n}};", text, flags=re.S)
    neutral = KIND_STYLES["neutral"]
    return re.sub(r"const UNKNOWN_KIND = \{[^\n]*\};",
                  f'const UNKNOWN_KIND = {{ name: "{neutral["name"]}", short: "{neutral["short"]}", colour: "{neutral["light"]}" }};', text)


def links_js(text: str) -> str:
    for theme, key, ink in (("light", "light", "#ffffff"), ("dark", "page_dark", "#0f172a")):
        colours = ", ".join(f'{kind}: "{KIND_STYLES[kind][key]}"' for kind in KINDS)
        text = re.sub(rf"    {theme}: \{{ control: [^\n]*\}},",
                      f'    {theme}: {{ {colours}, other: "{KIND_STYLES["neutral"][key]}", text: "{ink}" }},', text)
    return text


FILES = {
    ROOT / "extension" / "popup" / "popup.css": popup_css,
    ROOT / "server" / "masthead" / "web" / "templates" / "base.html": base_html,
    ROOT / "extension" / "lib" / "labels.js": labels_js,
    ROOT / "extension" / "content" / "links.js": links_js,
}


def _nth_sub(text: str, pattern: str, replacement: str, n: int) -> str:
    matches = list(re.finditer(pattern, text))
    if len(matches) < n:
        raise SystemExit(f"make_palette: {pattern!r} not found {n} time(s); has the file's layout changed?")
    m = matches[n - 1]
    return text[:m.start()] + m.expand(replacement) + text[m.end():]


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for path, write in FILES.items():
        text = path.read_text(encoding="utf-8")
        new = write(text)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not check:
                path.write_text(new, encoding="utf-8")
    if stale:
        print(("out of step with KIND_STYLES: " if check else "rewrote: ") + ", ".join(map(str, stale)))
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
