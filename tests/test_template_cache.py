"""The `wiki/template-cache` plugin: compiled templates are reused across builds, and never stale."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import jinja2
import pytest
from jinja2 import Environment, FileSystemLoader
from jinja2.bccache import bc_magic
from jinja2.ext import Extension

from wiki_tools.plugins.template_cache.bytecode import CompiledTemplateCache, environment_key

from .conftest import run_mkdocs_build


class CountingEnvironment(Environment):
    """A real Jinja environment that counts how many templates it compiles from source."""

    compiled = 0

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if not raw:
            type(self).compiled += 1
        return super().compile(source, name, filename, raw, defer_init)


@pytest.fixture(autouse=True)
def reset_counter() -> None:
    CountingEnvironment.compiled = 0


def environment(templates: Path, memory: dict[str, bytes], folder: Path | None, **options) -> Environment:
    env = CountingEnvironment(loader=FileSystemLoader(str(templates)), **options)
    env.bytecode_cache = CompiledTemplateCache(env, memory, folder)
    return env


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.html").write_text("{% extends 'base.html' %}{% block body %}Hello {{ name }}{% endblock %}")
    (folder / "base.html").write_text("<main>{% block body %}{% endblock %}</main>\n")
    return folder


def test_memory_cache_reused_by_new_environment(templates: Path) -> None:
    memory: dict[str, bytes] = {}
    first = environment(templates, memory, None).get_template("page.html").render(name="Ada")
    assert CountingEnvironment.compiled == 2

    second = environment(templates, memory, None).get_template("page.html").render(name="Ada")

    assert CountingEnvironment.compiled == 2
    assert second == first == "<main>Hello Ada</main>"


def test_folder_cache_reused_by_next_process(templates: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    environment(templates, {}, folder).get_template("page.html").render(name="Ada")
    assert len(list(folder.glob("*.jinja"))) == 2

    # A fresh memory stands for a new `mkdocs build` process.
    html = environment(templates, {}, folder).get_template("page.html").render(name="Grace")

    assert CountingEnvironment.compiled == 2
    assert html == "<main>Hello Grace</main>"


def test_edited_template_compiled_again(templates: Path, tmp_path: Path) -> None:
    memory: dict[str, bytes] = {}
    folder = tmp_path / "cache"
    environment(templates, memory, folder).get_template("page.html").render(name="Ada")
    (templates / "base.html").write_text("<article>{% block body %}{% endblock %}</article>\n")

    html = environment(templates, memory, folder).get_template("page.html").render(name="Ada")

    assert html == "<article>Hello Ada</article>"
    assert CountingEnvironment.compiled == 3


def test_syntax_options_change_cache_key(templates: Path) -> None:
    (templates / "lines.html").write_text("{% if true %}\nyes\n{% endif %}\n")
    memory: dict[str, bytes] = {}
    plain = environment(templates, memory, None).get_template("lines.html").render()

    trimmed = environment(templates, memory, None, trim_blocks=True).get_template("lines.html").render()

    assert (plain, trimmed) == ("\nyes\n", "yes\n")
    assert CountingEnvironment.compiled == 2


@pytest.mark.parametrize("damage", ["replaced", "truncated"])
def test_damaged_cache_file_compiled_again(templates: Path, tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "cache"
    environment(templates, {}, folder).get_template("base.html").render()
    for path in folder.glob("*.jinja"):
        data = path.read_bytes()
        # Cut inside the stored checksum, which makes Jinja's reader raise rather than give up quietly.
        path.write_bytes(b"not bytecode" if damage == "replaced" else data[: len(bc_magic) + 3])

    html = environment(templates, {}, folder).get_template("page.html").render(name="Ada")

    assert html == "<main>Hello Ada</main>"
    assert CountingEnvironment.compiled == 3


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_unwritable_folder_costs_only_speed(templates: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with caplog.at_level(logging.INFO):
            html = environment(templates, {}, folder).get_template("page.html").render(name="Ada")
    finally:
        folder.chmod(0o700)

    assert html == "<main>Hello Ada</main>"
    assert "are not stored in" in caplog.text


def test_file_as_folder_costs_only_speed(templates: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "cache"
    folder.write_text("a file where the folder should be")

    with caplog.at_level(logging.INFO):
        html = environment(templates, {}, folder).get_template("page.html").render(name="Ada")

    assert html == "<main>Hello Ada</main>"
    assert caplog.text.count("are not stored in") == 1


def write_site(root: Path, plugins: str) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n\nA page.\n")
    (root / "overrides").mkdir()
    (root / "overrides" / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}<p class="override">first</p>{{ super() }}{% endblock %}\n'
    )
    config = root / "mkdocs.yml"
    config.write_text(
        f"site_name: Cache test\ntheme:\n  name: material\n  custom_dir: overrides\nplugins:\n  - search\n{plugins}"
    )
    return config


def test_cached_build_matches_and_sees_edits(tmp_path: Path) -> None:
    cached = write_site(tmp_path / "cached", "  - wiki/template-cache\n")
    plain = write_site(tmp_path / "plain", "")

    for config in (cached, plain, cached):
        result = run_mkdocs_build(config, config.parent / "site")
        assert result.returncode == 0, result.stderr
    assert list((cached.parent / ".cache" / "wiki-templates").glob("*.jinja"))
    assert (cached.parent / "site" / "index.html").read_text() == (plain.parent / "site" / "index.html").read_text()

    (cached.parent / "overrides" / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}<p class="override">second</p>{{ super() }}{% endblock %}\n'
    )
    result = run_mkdocs_build(cached, cached.parent / "site")

    assert result.returncode == 0, result.stderr
    assert '<p class="override">second</p>' in (cached.parent / "site" / "index.html").read_text()


class Swap(Extension):
    """An extension that rewrites template source before it is compiled."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return source.replace("Hello", "Goodbye")


def test_extension_added_after_attach_changes_key(templates: Path) -> None:
    memory: dict[str, bytes] = {}
    # A hook's `on_env` runs after this plugin's, so the extension arrives once the cache is in place.
    swapped = environment(templates, memory, None)
    swapped.add_extension(Swap)
    assert swapped.get_template("page.html").render(name="Ada") == "<main>Goodbye Ada</main>"

    html = environment(templates, memory, None).get_template("page.html").render(name="Ada")

    assert html == "<main>Hello Ada</main>"


def test_changed_filter_changes_key(templates: Path) -> None:
    (templates / "shout.html").write_text('{{ "hi" | shout }}')
    memory: dict[str, bytes] = {}
    first = environment(templates, memory, None)
    first.filters["shout"] = lambda text: text.upper() + "!"
    assert first.get_template("shout.html").render() == "HI!"

    # The compiler calls a filter on a constant once and stores the result, so an edited filter must recompile.
    second = environment(templates, memory, None)
    second.filters["shout"] = lambda text: text.upper() + "?"

    assert second.get_template("shout.html").render() == "HI?"


def test_dropped_finalize_changes_key(templates: Path) -> None:
    memory: dict[str, bytes] = {}
    environment(templates, memory, None, finalize=lambda value: value).get_template("page.html").render(name="Ada")

    html = environment(templates, memory, None).get_template("page.html").render(name="Ada")

    assert html == "<main>Hello Ada</main>"


def test_edited_hook_filter_seen_by_next_build(tmp_path: Path) -> None:
    config = write_site(tmp_path, "  - wiki/template-cache\nhooks:\n  - hooks.py\n")
    (tmp_path / "overrides" / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}<p class="override">{{ "home" | shout }}</p>{% endblock %}\n'
    )
    hook = "def on_env(env, config, files):\n    env.filters['shout'] = lambda text: text.upper() + {mark!r}\n    return env\n"
    (tmp_path / "hooks.py").write_text(hook.format(mark="!"))
    assert run_mkdocs_build(config, tmp_path / "site").returncode == 0

    (tmp_path / "hooks.py").write_text(hook.format(mark="?"))
    result = run_mkdocs_build(config, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    assert '<p class="override">HOME?</p>' in (tmp_path / "site" / "index.html").read_text()


def test_jinja_release_changes_key(monkeypatch: pytest.MonkeyPatch) -> None:
    env = Environment()
    before = environment_key(env)

    # Jinja's own check reads only its bytecode format version, which several releases share.
    monkeypatch.setattr(jinja2, "__version__", "0.0.1")

    assert environment_key(env) != before


def test_gettext_style_changes_key(templates: Path) -> None:
    (templates / "trans.html").write_text("{% trans count=2 %}{{ count }} pages{% endtrans %}")
    memory: dict[str, bytes] = {}
    newstyle = environment(templates, memory, None, extensions=["jinja2.ext.i18n"])
    newstyle.install_null_translations(newstyle=True)
    assert newstyle.get_template("trans.html").render() == "2 pages"

    oldstyle = environment(templates, memory, None, extensions=["jinja2.ext.i18n"])
    oldstyle.install_null_translations()

    assert oldstyle.get_template("trans.html").render() == "2 pages"


def test_trimmed_policy_changes_key(templates: Path) -> None:
    (templates / "trans.html").write_text("{% trans %}\n  two\n  words\n{% endtrans %}")
    memory: dict[str, bytes] = {}
    trimmed = environment(templates, memory, None, extensions=["jinja2.ext.i18n"])
    trimmed.install_null_translations()
    trimmed.policies["ext.i18n.trimmed"] = True
    assert trimmed.get_template("trans.html").render() == "two words"

    untrimmed = environment(templates, memory, None, extensions=["jinja2.ext.i18n"])
    untrimmed.install_null_translations()

    assert untrimmed.get_template("trans.html").render() == "\n  two\n  words\n"
