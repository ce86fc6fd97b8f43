# The kubectl stage (python -m behave --stage kubectl) loads the same library; the
# stage's environment (features/kubectl_environment.py) hands the steps that write or
# read objects to kubectl.
from reconciler.bdd.steps import *
