"""`Registry[T]`: the one way an app lets others plug into it.

The app that is extended declares a registry, typed with what it takes:

    START_CHECKS: Registry[Callable[[int, Service], str | None]] = Registry(
        "accounts.start_checks", "May this customer start this service? A refusal, or None.")

and the apps that extend it register, in their AppConfig.ready():

    accounts.START_CHECKS.register("billing", services.may_start)

Keyed, so registering again replaces (ready() may run more than once) and a registry
lists who extends it. Events (something happened) are Django signals instead.
Plain Python: the core floor, below everything that uses it.
"""

from collections.abc import Iterator


class Registry[T]:
    def __init__(self, name: str, doc: str):
        self.name = name
        self.doc = doc
        self._items: dict[str, T] = {}

    def register(self, key: str, item: T) -> T:
        """Add `item` under `key` (the registering app's name, or what it serves)."""
        self._items[str(key)] = item
        return item

    def get(self, key: str) -> T | None:
        return self._items.get(str(key))

    def __getitem__(self, key: str) -> T:
        try:
            return self._items[str(key)]
        except KeyError:
            raise KeyError(f"{self.name} has nothing registered as {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return str(key) in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def names(self) -> list[str]:
        return list(self._items)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {', '.join(self._items) or 'empty'}>"
