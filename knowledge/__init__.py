"""Pure domain code: streets, catalogue, search, geo, places, time, case rules.

pypinyin's phrase dictionary costs about 60 MB of RSS (measured: bot idle RSS 165 MB with it,
106 MB without) and only refines polyphones; queries and item names go through the same
character mapping, so matching is unaffected (the labelled quality set scores the same).
These switches must be set before pypinyin is first imported, hence here.
"""

import os

os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
