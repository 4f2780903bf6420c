"""Float64 NumPy reference kernels: ``KERNELS[name](F, A, B, opts) -> float``.

F, A, B are 2-D float64 planes on the 0..255 scale (integer-valued unless the profile says
otherwise); ``opts`` is a profile's option mapping. These are the ground truth for the faster
backends.
"""

KERNELS = {}
