"""The only code in Phasewise that relies on upstream packages' internals (private attributes and methods, and
what upstream code does with them), so that an upgrade has one place to look.

- `channel_layer`: Channels' in-memory layer and channels-redis's Redis layer, made to hold a room of hundreds
  (cleaning at most once per interval, inline delivery of HTML pushes, a count of each person's sockets).
- `twisted_writes`: Twisted's TCP write path under daphne, made to send at once when nothing is buffered.

Each module states the versions it was checked against (`CHECKED_AGAINST`) and lists what it relies on in a
check (channel_layer's `in_memory_problems()` and `redis_problems()`, twisted_writes' `problems()`), run where
the patch is used: a layer is built, the patch installed. When the check finds something missing, that patch
logs one warning (logger `workshop.upstream`, naming what is missing and the installed versions) and upstream's
own behaviour is used instead: the stock channel layer, Twisted's own write. pyproject.toml pins these packages
to the checked range; `constraints.txt` pins every package of an install.
"""
