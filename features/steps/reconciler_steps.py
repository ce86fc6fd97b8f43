from reconciler.bdd.steps import *
