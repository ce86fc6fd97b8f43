from reconciler.bdd.kubectl_stage import after_scenario, before_all, before_scenario  # noqa: F401
