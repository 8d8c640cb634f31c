"""The README's Python example is real: run it as written."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_python_example_runs():
    text = open(os.path.join(ROOT, "README.md")).read()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert 8 <= len(code.strip().splitlines()) <= 12
    env = {**os.environ, "PYTHONPATH": ROOT, "LATENT_LAB_CHECKPOINTS": os.path.join(ROOT, "checkpoints")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    status, loss = proc.stdout.split()
    assert status == "finished" and 0 < float(loss) < 60


FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)  # fenced code blocks: their brackets are code, not links
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")  # [text](path "title"), ![alt](path)
REF_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)  # [label]: path
IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.I)


def relative_links(text: str) -> list[str]:
    """The targets of a markdown text's links and images that point into the repository (no URL, no pure #anchor),
    without their #fragment or ?query."""
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = MD_LINK.findall(text) + REF_LINK.findall(text) + IMG_SRC.findall(text)
    out = []
    for target in targets:
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "//")):  # http:, mailto:, ...
            continue
        out.append(re.split(r"[#?]", target, maxsplit=1)[0])
    return out


def broken_links(md_file: str) -> list[str]:
    """Relative links of one markdown file (a path relative to the repository) that leave it or find nothing."""
    path = os.path.join(ROOT, md_file)
    problems = []
    for target in relative_links(open(path, encoding="utf-8").read()):
        resolved = os.path.realpath(os.path.join(os.path.dirname(path), target))
        if os.path.isabs(target) or os.path.commonpath([resolved, os.path.realpath(ROOT)]) != os.path.realpath(ROOT):
            problems.append(f"{md_file}: {target} points outside the repository")
        elif not os.path.exists(resolved):
            problems.append(f"{md_file}: {target} does not exist")
    return problems


def test_link_finder_sees_every_kind_of_link_and_skips_urls_and_code():
    text = ('[a](docs/A.md#part) ![b](img/b.png "title") <img src="c.gif" width=3>\n[d]: d.md\n'
            "[web](https://x.org) [mail](mailto:a@b.c) [top](#top) `[code](no.md)`\n```\n[fenced](no2.md)\n```\n")
    assert sorted(relative_links(text)) == ["c.gif", "d.md", "docs/A.md", "img/b.png"]


def test_readme_and_docs_link_only_to_files_in_the_repository():
    files = ["README.md", *sorted(os.path.relpath(os.path.join(ROOT, "docs", f), ROOT)
                                  for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))]
    assert "docs/ARCHITECTURE.md" in files
    assert relative_links(open(os.path.join(ROOT, "README.md")).read()), "the README's links were not found"
    assert [p for f in files for p in broken_links(f)] == []
