"""How a helper written as steps (steps.py) becomes a method: `blocking` sends its requests over
C1Mock's httpx.Client and returns the value, `awaited` makes a coroutine of it over AsyncC1Mock's
httpx.AsyncClient. Used like decorators, in the class body:

    class C1Mock(Helpers):
        mint = blocking(tunnel_steps.mint)     # c1_mock.mint(bridge_id) -> dict

The method has the steps' name, docstring and signature (less their first parameter, the helpers).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from .steps import Helpers, Steps

if TYPE_CHECKING:
    from .client import AsyncC1Mock, C1Mock

P = ParamSpec("P")
T = TypeVar("T")


class _Method(Generic[P, T]):
    def __init__(self, made_of: Callable[Concatenate[Helpers, P], Steps[T]]) -> None:
        self.steps = made_of
        self.__doc__ = made_of.__doc__
        signature = inspect.signature(made_of)
        self.signature = signature.replace(
            parameters=list(signature.parameters.values())[1:],
            return_annotation=self._returns(_value_type(signature.return_annotation)),
        )

    def _returns(self, value_type: str) -> str:
        return value_type

    def _named(self, method: Callable[..., Any]) -> Callable[..., Any]:
        method.__name__ = method.__qualname__ = self.steps.__name__
        method.__doc__ = self.__doc__
        setattr(method, "__signature__", self.signature)  # noqa: B010 - for help() and IDEs
        return method


def _value_type(annotation: Any) -> str:
    """`Steps[list[Json]]` (as written, the annotations being strings) -> `list[Json]`."""
    text = str(annotation)
    return text[len("Steps[") : -1] if text.startswith("Steps[") else text


class blocking(_Method[P, T]):
    """A C1Mock method: its steps sent over the httpx.Client, one request after the other."""

    @overload
    def __get__(self, mock: None, owner: type[Any]) -> blocking[P, T]: ...
    @overload
    def __get__(self, mock: C1Mock, owner: type[Any]) -> Callable[P, T]: ...
    def __get__(self, mock: C1Mock | None, owner: type[Any]) -> Any:
        if mock is None:
            return self
        made_of = self.steps

        def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return mock.run(made_of(mock, *args, **kwargs))

        return self._named(method)


class awaited(_Method[P, T]):
    """An AsyncC1Mock method: a coroutine that awaits its steps over the httpx.AsyncClient."""

    def _returns(self, value_type: str) -> str:
        return f"Coroutine[Any, Any, {value_type}]"

    @overload
    def __get__(self, mock: None, owner: type[Any]) -> awaited[P, T]: ...
    @overload
    def __get__(
        self, mock: AsyncC1Mock, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, mock: AsyncC1Mock | None, owner: type[Any]) -> Any:
        if mock is None:
            return self
        made_of = self.steps

        def method(*args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, T]:
            return mock.run(made_of(mock, *args, **kwargs))

        return self._named(method)
