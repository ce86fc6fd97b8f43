"""``reconciler serve``: the simulated cluster behind an HTTP API server that the real
kubectl and the official Python client drive. See ``docs/serve.md``.

* :mod:`.live` — the cluster whose virtual clock follows wall time, with persistence;
* :mod:`.app` — the aiohttp application: routes, authentication, Status errors;
* :mod:`.discovery` — ``/api``, ``/apis``, ``/version``, ``/openapi/v3``;
* :mod:`.resources` — list, get, create, update, patch, delete, subresources;
* :mod:`.watch` — watch streams; :mod:`.logs` — ``pods/log``; :mod:`.query` — selectors,
  paging, resource versions; :mod:`.fields` — unknown-field checks;
* :mod:`.tls` — the self-signed certificate and the kubeconfig;
* :mod:`.server` — running it in the foreground or on a thread; :mod:`.command` — the CLI.
"""
