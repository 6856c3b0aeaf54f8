"""The playground: a local web page that watches backprop train a network, live.

``deltaprop playground`` serves one self-contained page on 127.0.0.1. Training runs here, in
the server, through a :class:`deltaprop.Trainer` in a background thread; the page only draws
what the server sends: every neuron's activation over the input plane, the decision surface
with the train and test points, the links by weight sign and size, the train and test cost
curves. Clicking a neuron or a link shows its z, a, δ and ∂C/∂w for the probe example, with
BP1 or BP2 and BP3/BP4 written out with the numbers plugged in and the numerical check beside
them: :func:`deltaprop.explain`'s own output.

Modules, each importing only those above it:

- :mod:`~deltaprop.playground.settings`: what a run is made of, checked and bounded;
- :mod:`~deltaprop.playground.data`: the run's data set, split, and the input plane;
- :mod:`~deltaprop.playground.session`: the run, its training thread, snapshots and frames;
- :mod:`~deltaprop.playground.downloads`: the model (``.npz``, ONNX) and the report;
- :mod:`~deltaprop.playground.server`: the HTTP API, the event stream and the page
  (``page.html``, package data).
"""

from .server import PlaygroundServer
from .session import Session
from .settings import LIMITS, Settings

__all__ = ["PlaygroundServer", "Session", "Settings", "LIMITS"]
