"""The RMA code printed (as text and as a Code128 barcode) on a return's packing slip.

The code is "RMA-" and the return id, all upper case: scanners in keyboard mode,
caps lock and people copying it by hand often upper-case what they read, and an
all-upper-case code reads back the same whatever they do. That is why a return
id must be lower case to have a code (the API mints "ret_" + lower-case hex);
reading a code lower-cases it again.

`parse_rma_code` takes what a scanner or a person typed: surrounding whitespace
and any case are fine; anything else that is not an RMA code is None.

Pure: no I/O.
"""

from __future__ import annotations

import re

__all__ = ["PREFIX", "parse_rma_code", "rma_code"]

PREFIX = "RMA-"
MAX_ID_LENGTH = 64  # the returns table's id column

_ID = re.compile(r"[a-z0-9][a-z0-9_.:-]*")
# Checked before lower-casing: str.lower() maps some non-ASCII letters onto ASCII ones (the Kelvin sign to "k").
_CODE_BODY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")


def rma_code(return_id: str) -> str:
    """The code of a return: "RMA-RET_0A1B2C" for "ret_0a1b2c" (ValueError for an id upper-casing would lose)."""
    if not (_ID.fullmatch(return_id) and len(return_id) <= MAX_ID_LENGTH):
        raise ValueError(
            f"return id {return_id!r} has no RMA code: it must be lower-case letters, digits and _ . : - "
            f"(at most {MAX_ID_LENGTH}), starting with a letter or digit"
        )
    return PREFIX + return_id.upper()


def parse_rma_code(text: str) -> str | None:
    """The return id in an RMA code ("  rma-RET_0a1b2c\\n" -> "ret_0a1b2c"); None if it is not one."""
    code = text.strip()
    if code[: len(PREFIX)].upper() != PREFIX:
        return None
    body = code[len(PREFIX) :]
    if not (_CODE_BODY.fullmatch(body) and len(body) <= MAX_ID_LENGTH):
        return None
    return body.lower()
