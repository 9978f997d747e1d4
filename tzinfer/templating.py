"""Text generated for the layer and the boards (bitbake includes, config.txt, device-tree fragments),
rendered from the jinja2 templates in tzinfer/templates/ rather than built from strings."""

from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), undefined=jinja2.StrictUndefined,
                          keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)
_ENV.filters.update({
    "hex8": lambda value: f"0x{value:08x}",  # an address or size as the layer and firmware files write it
    "mib": lambda value: value >> 20,
    "flags": lambda values: " ".join(f"{key}={value}" for key, value in values.items()),  # make/CFG_ flags
})


def render(template: str, **values: object) -> str:
    """The text of tzinfer/templates/<template> with `values`; an undefined name is an error."""
    return _ENV.get_template(template).render(**values)
