"""Every code block of every README in the repository is run by a test against its real
servers, or says why not; every Python block imports what it uses; every link stays in
the repository."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from rhcore.testing.readme import Block, blocks

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_FOLDERS = {"node_modules", "build", "dist"}


def readmes() -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        found += [Path(folder) / name for name in sorted(files) if name == "README.md"]
    return found


READMES = readmes()
BLOCKS = [block for readme in READMES for block in blocks(readme)]


def block_id(block: Block) -> str:
    return f"{block.readme.relative_to(ROOT)}:{block.line}"


def test_every_readme_is_found():
    names = {str(p.relative_to(ROOT)) for p in READMES}
    assert names >= {"README.md", "rh_s3/README.md", "rh_ssh_cluster/README.md", "plugins/rh_gs/README.md",
                     "plugins/rh_azure/README.md", "plugins/rh_github/README.md", "plugins/rh_ray/README.md"}


@pytest.mark.parametrize("block", BLOCKS, ids=block_id)
def test_each_block_is_run_or_says_why_not(block):
    assert block.mark, (f"{block_id(block)} ({block.lang}) has no mark: put <!-- test: TEST_FILE -->, "
                        "<!-- nox: SESSION --> or <!-- not run: REASON --> on the line above it")
    if block.mark == "test":
        runner = block.runner()
        assert runner.is_file(), f"{block_id(block)} names a test file that does not exist: {block.detail}"
        assert "blocks_for(" in runner.read_text(), f"{block.detail} does not take its blocks with blocks_for"
    elif block.mark == "nox":
        noxfile = (ROOT / "noxfile.py").read_text()
        assert re.search(rf"^def {re.escape(block.detail)}\(", noxfile, re.M), \
            f"{block_id(block)} names no nox session: {block.detail}"
    else:
        assert len(block.detail.split()) >= 2, f"{block_id(block)}: say why it is not run"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "python"], ids=block_id)
def test_python_blocks_import_what_they_use(block):
    block.compiled()
    assert block.undefined_names() == []


def test_code_blocks_name_their_language():
    unnamed = [block_id(b) for b in BLOCKS if b.lang not in ("python", "console", "sh", "toml", "text")]
    assert unnamed == [], "use python, console, sh, toml or text"


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_stay_in_the_repository_and_exist(readme):
    wrong = []
    for target in LINK.findall(readme.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a URL or an anchor
        path = (readme.parent / target.split("#")[0]).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            wrong.append(target)
    assert wrong == []


def test_no_stale_promises():
    stale = [(str(p.relative_to(ROOT)), phrase) for p in READMES
             for phrase in ("will come later", "the coming executor", "](../shared")
             if phrase in p.read_text()]
    assert stale == []
