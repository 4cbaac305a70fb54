"""``python -m gateway attribute add|list|remove``: a shop's custom attributes.

attribute add customer loyalty_number --type varchar --label "Loyalty Number"
attribute add customer tier --type select --option 3=Bronze --option 4=Silver
attribute list
attribute remove customer tier
"""

import argparse
import sys

import asyncpg

from gateway.resources.address_data import ADDRESS_FIELDS
from gateway.resources.customer_data import CUSTOMER_FIELDS
from gateway.resources.kit.attributes import (
    CODE,
    ENTITIES,
    TYPES,
    Attribute,
    add_attribute,
    read_definitions,
    remove_attribute,
)

__all__ = ["add_parser", "run"]

# An entity's own fields' names, which no attribute may take.
_OWN = {
    "customer": {n for f in CUSTOMER_FIELDS.fields for n in (f.name, *f.aliases)},
    "customer_address": {n for f in ADDRESS_FIELDS.fields for n in (f.name, *f.aliases)},
}


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    attribute = commands.add_parser("attribute", help="manage custom attributes")
    actions = attribute.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="define (or redefine) an attribute")
    add.add_argument("entity", choices=ENTITIES)
    add.add_argument("code", help="lower case letters, digits and _, a letter first")
    add.add_argument("--type", required=True, choices=TYPES)
    add.add_argument("--label", default="")
    add.add_argument("--required", action="store_true", help="a create needs it")
    add.add_argument(
        "--option", action="append", default=[], metavar="ID=LABEL", help="select's options"
    )
    actions.add_parser("list", help="list the attributes")
    remove = actions.add_parser("remove", help="remove an attribute and its values")
    remove.add_argument("entity", choices=ENTITIES)
    remove.add_argument("code")


def _options(entries: list[str]) -> tuple[tuple[int, str], ...] | str:
    """``3=Bronze`` each; or what is wrong with them."""
    options = []
    for entry in entries:
        number, equals, label = entry.partition("=")
        if not equals or not number.strip().isdigit() or not label.strip():
            return f"an option is ID=LABEL, such as 3=Bronze, not {entry!r}"
        options.append((int(number), label.strip()))
    if len({number for number, _ in options}) != len(options):
        return "an option id is given twice"
    return tuple(options)


def _problem(args: argparse.Namespace) -> str | None:
    if not CODE.fullmatch(args.code):
        return "a code is lower case letters, digits and _, starting with a letter"
    if args.code in _OWN[args.entity]:
        return f"{args.code} is a field of {args.entity} already"
    choosing = args.type in ("select", "multiselect")
    if choosing and not args.option:
        return f"a {args.type} attribute needs its options (--option ID=LABEL)"
    if args.option and not choosing:
        return "only select and multiselect attributes have options"
    return None


async def run(connection: asyncpg.Connection, args: argparse.Namespace) -> int:
    if args.action == "list":
        for a in (await read_definitions(connection)).attributes:
            shown = ",".join(f"{i}={label}" for i, label in a.options) or "-"
            required = "required" if a.required else "optional"
            print(f"{a.entity}\t{a.code}\t{a.type}\t{required}\t{a.label or '-'}\t{shown}")
        return 0
    if args.action == "remove":
        if not await remove_attribute(connection, args.entity, args.code):
            print(f"no {args.entity} attribute named {args.code!r}", file=sys.stderr)
            return 1
        return 0
    options = _options(args.option)
    problem = _problem(args)
    if isinstance(options, str):
        problem = problem or options
    if problem is not None or isinstance(options, str):
        print(problem, file=sys.stderr)
        return 2
    attribute = Attribute(0, args.entity, args.code, args.type, args.label, args.required, options)
    await add_attribute(connection, attribute)
    return 0
