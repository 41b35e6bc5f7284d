"""The pinned projects of the corpus check (bench/corpus.py): sdists from PyPI that ship a
pytest-runnable suite, chosen to cover the project shapes mutgate meets."""

from __future__ import annotations

from dataclasses import dataclass

#: What a venv of a Python without mutgate's dependencies needs (the system 3.11 has them).
TOOLS = ("pytest==9.0.3", "hypothesis==6.155.2", "libcst==1.9.0", "coverage==7.17.5",
         "click==8.4.0", "joblib==1.6.0", "jinja2==3.1.6", "pygments==2.20.0",
         "unidiff==1.0.1", "tomli==2.2.1; python_version < '3.11'")


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    layout: str  # "src", "flat" (a package at the root) or "module" (one top-level .py)
    shape: str  # what this project exercises, for the reader of the table
    deps: tuple[str, ...] = ()  # runtime and test-only dependencies, pinned
    editable: bool = True

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"


PROJECTS = (
    Project("isodate", "0.7.2", "src", "parametrize over sets, filterwarnings=error"),
    Project("toolz", "1.2.0", "flat", "tlz re-imports toolz under other names"),
    Project("boltons", "26.2.0", "flat", "many small modules, conftest"),
    Project("marshmallow", "4.4.0", "src", "heavy parametrize, fields built in class bodies",
            ("simplejson==4.3.0",)),
    Project("schema", "0.7.8", "flat", "one test file at the root"),
    Project("wrapt", "2.5.2", "src", "unittest suite, decorators made at import"),
    Project("cachetools", "8.0.2", "src", "unittest suite"),
    Project("python-dateutil", "2.9.0.post0", "src", "hypothesis, freezegun, closures",
            ("freezegun==1.5.5", "pytest-cov==7.1.0")),
    Project("humanize", "4.17.0", "src", "--doctest-modules, freezegun, gettext",
            ("freezegun==1.5.5", "pytest-benchmark==5.2.3")),
    Project("inflection", "0.5.1", "flat", "one parametrized test module at the root"),
    Project("semver", "3.1.2", "src", "installed NON-editable (pip install .), conftest",
            ("packaging==26.2", "pytest-cov==7.1.0"), editable=False),
    Project("parse", "1.22.4", "flat", "one big module, doctests of the module and README",
            ("pytest-cov==7.1.0",)),
    Project("iso8601", "2.1.0", "flat", "tests inside the package, hypothesis",
            ("pytz==2026.6",)),
    Project("text-unidecode", "1.3", "src", "test module at the root, data tables"),
    Project("python-box", "8.0.0", "flat", "test/ folder, optional converters",
            ("msgpack==1.2.4", "ruamel.yaml==0.19.1", "PyYAML==6.0.3", "tomli-w==1.2.0",
             "toon-format==1.2.0")),
    Project("glom", "25.12.0", "flat", "tests inside the package, runtime dependencies",
            ("face==26.0.1", "boltons==26.2.0", "attrs==26.1.0")),
    Project("tabulate", "0.10.0", "flat", "test/ folder, optional wcwidth",
            ("wcwidth==0.7.0",)),
    Project("six", "1.17.0", "module", "a single top-level module and its test file"),
    Project("more-itertools", "11.2.1", "flat", "unittest suite with 21000 subtests"),
    Project("click", "8.5.1", "src", "heavy parametrize, conftest fixtures, warnings=error"),
    Project("xmltodict", "1.0.4", "module", "one top-level module, tests/ as a package"),
    Project("pathspec", "1.1.1", "flat", "unittest suite in numbered files, many backends"),
    Project("idna", "3.20", "flat", "large generated tables at module level (static mutants)"),
)
