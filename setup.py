"""The one compiled part: the log-line scanner (keepfaith/weblog/_linescan.c).

Everything else is in pyproject.toml; setuptools reads this file only for ``ext_modules``.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "keepfaith.weblog._linescan",
            sources=["keepfaith/weblog/_linescan.c"],
            extra_compile_args=[
                "-Wextra",
                "-fstack-protector-strong",
                "-D_FORTIFY_SOURCE=2",
            ],
        )
    ]
)
