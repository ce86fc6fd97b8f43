from reconciler.bdd.environment import *
