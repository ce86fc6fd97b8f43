"""In-tree scheduler plugins, one module per plugin (``pkg/scheduler/framework/plugins``).

Each module has its upstream ``NAME``, its user-visible reason strings, a small class
implementing the extension points it needs, and a ``new(args, handle)`` factory that
``reconciler.scheduler.registry`` maps the name to.
"""
