from __future__ import annotations

import importlib.metadata
import inspect
import pathlib
import pkgutil
import subprocess
import sys

import migrantcare
from migrantcare import exceptions


def test_public_surface_is_explicit() -> None:
    for name in migrantcare.__all__:
        assert hasattr(migrantcare, name), name
    public = {n for n in dir(migrantcare) if not n.startswith("_")}
    # everything public is in __all__ (submodules excepted)
    modules = {n for n in public if inspect.ismodule(getattr(migrantcare, n))}
    assert public - modules <= set(migrantcare.__all__)


def test_every_public_callable_has_a_docstring() -> None:
    for name in migrantcare.__all__:
        obj = getattr(migrantcare, name)
        if inspect.isclass(obj):
            assert obj.__doc__, name
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and callable(member):
                    assert member.__doc__, f"{name}.{attr}"


def test_every_error_has_one_root_and_a_builtin_base() -> None:
    errors = [getattr(exceptions, n) for n in exceptions.__all__ if n != "MigrantCareError"]
    assert errors
    for error in errors:
        assert issubclass(error, exceptions.MigrantCareError)
        builtin = [b for b in error.__mro__[1:] if b.__module__ == "builtins"]
        assert any(
            b is not Exception and b is not BaseException and b is not object for b in builtin
        ), error


def test_py_typed_ships() -> None:
    assert (pathlib.Path(migrantcare.__file__).parent / "py.typed").exists()


def test_holidays_is_imported_lazily() -> None:
    code = "import sys, migrantcare; print('holidays' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_version() -> None:
    assert migrantcare.__version__ == importlib.metadata.version("migrantcare")


def test_no_module_level_mutable_state() -> None:
    # locale, clock and calendar are passed in; nothing global may change under a host
    for info in pkgutil.iter_modules(migrantcare.__path__):
        if info.name == "__main__":
            continue  # running it is the CLI
        module = importlib.import_module(f"migrantcare.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("__"):
                continue
            assert not isinstance(value, list | dict | set | bytearray), f"{info.name}.{name}"


def test_the_docs_use_only_the_public_api() -> None:
    # a reader copies the examples: one that imports a private module (``_performance``)
    # teaches an import that may break in any release
    root = pathlib.Path(__file__).parent.parent
    pages = [*root.joinpath("docs").rglob("*.md"), root / "README.md"]
    private = [
        f"{page.relative_to(root)}:{number}"
        for page in pages
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if "migrantcare._" in line and ("import" in line or ">>>" in line)
    ]
    assert private == []
