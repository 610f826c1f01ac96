"""A Jinja bytecode cache kept in memory and in a folder, keyed by the environment that compiles.

Jinja checks each stored template against a checksum of its source, the Python version and the version
of its bytecode format, and compiles it again when any of them differs. Several Jinja releases share one
format version, so the key adds the Jinja release, and what else changes the compiled code: the
template's file, the environment's syntax options, its extensions, its `finalize` function, and its
filters and tests. The compiler bakes a filter's calling convention into the code, and it calls
a filter given constant arguments, such as `{{ "Home" | upper }}`, once and stores the result. So the
key records each filter's code too, and an edited filter in a hook file compiles the templates again.

NOTE: a filter that reads a value it captured, such as a closure over the plugin's config, can change
its result without changing its code. A template that applies such a filter to a constant keeps the old
result until the cache folder is deleted.
"""

from __future__ import annotations

import hashlib
import logging
import types
from pathlib import Path

import jinja2
from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache

from ...storage import atomic_write_bytes

__all__ = ["CompiledTemplateCache", "environment_key"]

log = logging.getLogger("mkdocs.plugins.wiki.template-cache")

_SYNTAX_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
)


def environment_key(environment: Environment) -> str:
    """Return a digest of the environment settings that the compiled code of a template depends on."""
    parts = [f"jinja={jinja2.__version__}"]
    parts.extend(f"{option}={getattr(environment, option)!r}" for option in _SYNTAX_OPTIONS)
    parts.append(f"autoescape={_describe(environment.autoescape)}")
    parts.append(f"is_async={environment.is_async!r}")
    # Set by the i18n extension, which compiles `{% trans %}` blocks into differently called gettext functions.
    parts.append(f"newstyle_gettext={getattr(environment, 'newstyle_gettext', None)!r}")
    parts.append(f"trimmed={environment.policies.get('ext.i18n.trimmed')!r}")
    parts.append(f"classes={_describe(type(environment))},{_describe(environment.code_generator_class)}")
    parts.append(f"finalize={_describe(environment.finalize)}")
    parts.append("extensions=" + ",".join(sorted(environment.extensions)))
    for kind, functions in (("filter", environment.filters), ("test", environment.tests)):
        parts.extend(f"{kind} {name}={_describe(functions[name])}" for name in sorted(functions))
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


class CompiledTemplateCache(BytecodeCache):
    """Store compiled templates in `memory`, and in `folder` unless it is None.

    `memory` outlives one build when its owner does, so that `mkdocs serve` compiles the theme once
    instead of on every rebuild. The folder does the same for consecutive `mkdocs build` runs.
    """

    def __init__(self, environment: Environment, memory: dict[str, bytes], folder: Path | None) -> None:
        self.environment = environment
        self.environment_key: str | None = None
        self.memory = memory
        self.folder = folder
        self._write_failed = False

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # The key is taken when the first template loads, not when the cache is attached: plugins listed
        # later and hook files add their filters and extensions in `on_env` after this plugin's turn.
        if self.environment_key is None:
            self.environment_key = environment_key(self.environment)
        text = f"{self.environment_key}\0{name}\0{filename or ''}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.memory.get(bucket.key)
        if data is None and self.folder is not None:
            try:
                data = (self.folder / f"{bucket.key}.jinja").read_bytes()
            except OSError:
                return
        if data is None:
            return
        try:
            # An outdated file fails Jinja's own checks and leaves the bucket empty.
            bucket.bytecode_from_string(data)
        except Exception:  # noqa: BLE001 (unpickling damaged bytes raises many types)
            # A damaged file can fail while it is read. Either way the template is compiled again.
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        data = bucket.bytecode_to_string()
        self.memory[bucket.key] = data
        if self.folder is None or self._write_failed:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.folder / f"{bucket.key}.jinja", data)
        except OSError as error:
            # The cache only saves time, so a folder that cannot be written costs speed and nothing else.
            self._write_failed = True
            log.info("Compiled templates are not stored in %s (%s). Builds compile them again.", self.folder, error)


def _describe(value: object) -> str:
    """Describe a setting or a function by what the compiler reads from it, the same in every process."""
    if not callable(value):
        return repr(value)
    function = getattr(value, "__func__", value)
    name = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', type(function).__qualname__)}"
    pass_arg = getattr(value, "jinja_pass_arg", None)
    code = getattr(function, "__code__", None)
    digest = _code_digest(code) if isinstance(code, types.CodeType) else ""
    return f"{name} pass={pass_arg} code={digest}"


def _code_digest(code: types.CodeType) -> str:
    """Digest a function's bytecode and constants, nested functions included."""
    digest = hashlib.sha256(code.co_code)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            digest.update(_code_digest(constant).encode("ascii"))
        elif isinstance(constant, frozenset):
            # A set's order follows string hashes, which differ between processes.
            digest.update(repr(sorted(map(repr, constant))).encode("utf-8"))
        else:
            digest.update(repr(constant).encode("utf-8"))
    return digest.hexdigest()[:16]
