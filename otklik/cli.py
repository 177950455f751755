"""The ``otklik`` command. Each module in ``otklik.commands`` contributes one sub-command group."""

from __future__ import annotations

import importlib
import pkgutil

import typer

import otklik.commands

app = typer.Typer(
    help="Otklik: citizens' posts -> agencies -> replies, on the regulation's clocks.", no_args_is_help=True
)


def _register() -> None:
    """Sub-apps (``APP`` + ``NAME``) and top-level commands (``register(app)``) are found, not listed."""
    for info in sorted(pkgutil.iter_modules(otklik.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"otklik.commands.{info.name}")
        if hasattr(module, "register"):
            module.register(app)
        elif hasattr(module, "APP"):
            app.add_typer(module.APP, name=module.NAME)


_register()

if __name__ == "__main__":
    app()
