"""Print the README's Quick start commands, one a line, exactly as a newcomer would copy them.

The commands are the non-comment lines of the fenced code blocks under the "Quick start"
heading, up to the next heading; a line continued with a backslash is joined to the next.
CI runs what this prints, so the README and CI cannot drift apart.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def quickstart_commands(readme: str) -> list[str]:
    section = re.search(
        r"^#+\s*Quick ?start.*?$(.*?)(?=^#+\s)", readme + "\n# end", re.S | re.M | re.I
    )
    if not section:
        return []
    blocks = re.findall(r"```[a-z]*\n(.*?)```", section.group(1), re.S)
    lines = (line for b in blocks for line in re.sub(r"\\\n\s*", " ", b).splitlines())
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    print("\n".join(quickstart_commands(path.read_text(encoding="utf-8"))))
