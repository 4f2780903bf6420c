"""Reference networks. Each sub-package ``<name>/`` exposes

* ``load_method(variant: str | None = None, device: str | None = None, *, directory=None)
  -> fusionbench.methods.base.Method`` (``variant`` is an ablation name such as ``"no_sfe"``; weights
  come from ``directory``, default ``weights/``; ``directory`` is passed only when given),
* ``ABLATIONS``: tuple of ablation names,
* ``RECIPE``: the training recipe used by ``fusionbench.train``.
"""

NETWORKS = ("s2fnet", "sspfusion", "smfnet", "msfe")
