"""The container runtime behind the kubelet: a CRI-shaped, pure interface
(:mod:`~reconciler.runtime.cri`), its default simulated implementation
(:mod:`~reconciler.runtime.simulated`) over the simulated image registry
(:mod:`~reconciler.runtime.registry`), and image reference normalisation
(:mod:`~reconciler.runtime.reference`)."""

from reconciler.runtime.cri import ContainerRuntime, ImageService, RuntimeService
from reconciler.runtime.reference import InvalidImageReference, normalize
from reconciler.runtime.simulated import SimulatedRuntime

__all__ = ["ContainerRuntime", "ImageService", "InvalidImageReference", "RuntimeService",
           "SimulatedRuntime", "normalize"]
