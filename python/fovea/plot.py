"""Pictures of keyframe sequences with matplotlib (``pip install fovea[plot]``).

``motion_path`` draws the path of the box centre over the keyframe boxes (video coordinates,
y downwards); ``timeline`` draws the keyframes, the interpolation mode of each keyframe pair
and the hidden ranges; ``plot`` draws both in one figure. What is drawn comes from the Rust
core (``Sequence.plot_data()``), the same as ``fovea plot`` on the command line draws.

>>> import fovea, fovea.plot                                            # doctest: +SKIP
>>> fig = fovea.plot.plot(fovea.Sequence(annotation))                   # doctest: +SKIP
"""

from typing import Any, Optional

from fovea._fovea import Sequence

__all__ = ["motion_path", "timeline", "plot", "MODE_COLOURS"]

#: The colour of each interpolation mode in the timeline (others are black).
MODE_COLOURS: dict[str, str] = {
    "linear": "#1f77b4",
    "bezier": "#9467bd",
    "ease-in": "#ff7f0e",
    "ease-out": "#bcbd22",
    "ease-in-out": "#8c564b",
    "hold": "#7f7f7f",
    "parametric": "#2ca02c",
}


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "fovea.plot needs matplotlib, which could not be imported; "
            "install it with: pip install fovea[plot]"
        ) from e
    return plt


def _data(seq: Any) -> dict[str, Any]:
    sequence = seq if isinstance(seq, Sequence) else Sequence(seq)
    data = sequence.plot_data()
    if data is None:
        raise ValueError("the sequence has no keyframes to plot")
    return data


def _axes(ax: Optional[Any]) -> Any:
    if ax is not None:
        return ax
    return _pyplot().subplots()[1]


def motion_path(seq: Any, ax: Optional[Any] = None) -> Any:
    """Draws the box centre's path (visible frames) and the keyframe boxes; returns the axes.

    ``seq``: a ``Sequence``, or anything ``Sequence()`` accepts (dict, annotation, JSON)."""
    _pyplot()
    from matplotlib.patches import Rectangle

    data = _data(seq)
    ax = _axes(ax)
    for key in data["keyframes"]:
        ax.add_patch(
            Rectangle(
                (key["x"], key["y"]),
                key["width"],
                key["height"],
                fill=False,
                edgecolor="#1f77b4",
                alpha=0.5,
            )
        )
    for i, run in enumerate(data["path"]):
        ax.plot(
            [p[1] for p in run],
            [p[2] for p in run],
            color="#d62728",
            linewidth=2,
            label="centre, visible frames" if i == 0 else None,
        )
    for key in data["keyframes"]:
        cx, cy = key["x"] + key["width"] / 2, key["y"] + key["height"] / 2
        ax.plot(cx, cy, "o", color="black", markersize=4)
        ax.annotate(
            str(key["frameNumber"]), (cx, cy), textcoords="offset points", xytext=(5, 5), fontsize=8
        )
    x0, y0, x1, y1 = data["extent"]
    pad_x, pad_y = max((x1 - x0) * 0.05, 1.0), max((y1 - y0) * 0.05, 1.0)
    ax.set_xlim(x0 - pad_x, x1 + pad_x)
    ax.set_ylim(y1 + pad_y, y0 - pad_y)  # y runs downwards, as in the video
    ax.set_xlabel("x (px)")
    ax.set_ylabel("y (px)")
    ax.set_title("motion path of the box centre")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def timeline(seq: Any, ax: Optional[Any] = None) -> Any:
    """Draws keyframes, the mode of each keyframe pair and the hidden ranges; returns the axes."""
    _pyplot()
    data = _data(seq)
    ax = _axes(ax)
    first, last = data["span"]
    ax.broken_barh([(first, last - first + 1)], (-0.3, 0.6), color="#78be78", label="visible")
    if data["hidden"]:
        ax.broken_barh(
            [(a, b - a + 1) for a, b in data["hidden"]],
            (-0.3, 0.6),
            color="#bebebe",
            label="hidden",
        )
    for mode in dict.fromkeys(kind for _, _, kind in data["segments"]):
        bars = [(a, b - a) for a, b, kind in data["segments"] if kind == mode]
        ax.broken_barh(bars, (0.7, 0.6), color=MODE_COLOURS.get(mode, "black"), label=mode)
    ax.vlines([k["frameNumber"] for k in data["keyframes"]], 1.65, 2.35, color="black", linewidth=2)
    ax.set_yticks([0, 1, 2], ["visibility", "segments", "keyframes"])
    ax.set_ylim(-0.6, 2.6)
    ax.set_xlabel("frame")
    ax.set_title("timeline: keyframes, segment modes, hidden frames")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot(seq: Any, *, title: Optional[str] = None) -> Any:
    """Both pictures in one figure (motion path above the timeline); returns the figure."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), gridspec_kw={"height_ratios": [3, 2]})
    motion_path(seq, top)
    timeline(seq, bottom)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
