from tests.console.conftest import fx

__all__ = ["fx"]
