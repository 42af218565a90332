"""The only code in Phasewise that relies on upstream packages' internals (private attributes and methods, and
what upstream code does with them), so that an upgrade has one place to look.

- `channel_layer`: Channels' in-memory layer and channels-redis's Redis layer, made to hold a room of hundreds.
- `twisted_writes`: Twisted's TCP write path under daphne, made to send at once when nothing is buffered.
"""
