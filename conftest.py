"""Collection settings shared by the test suite and the doctests."""

import importlib.util

# The doctests of sktricks.torch need the torch extra; without it they are
# not collected (tests/torch skips itself with pytest.importorskip).
collect_ignore_glob = []
if importlib.util.find_spec("torch") is None:
    collect_ignore_glob.append("sktricks/torch/*")
