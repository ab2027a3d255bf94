"""The results page's plots as SVG (matplotlib, no display): the test information with the
standard error of θ, every item's characteristic curve, and one item's curve against the
proportions observed in θ groups. Each SVG scales to the width of the page (a viewBox, no
fixed size), uses large type so it reads on a phone, and carries a title and description
for screen readers.
"""
from __future__ import annotations

import io
import threading
from xml.sax.saxutils import escape

import numpy as np

# pyplot's figure registry is not thread-safe; the object API below avoids it, and this
# lock keeps two renders of one process from sharing matplotlib's font cache mid-build.
_LOCK = threading.Lock()
FONT_SIZE = 12


def _figure():
    from matplotlib.figure import Figure

    # Small in inches, so its type stays large when the SVG is scaled to a phone's width.
    fig = Figure(figsize=(4.6, 3.2), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _svg(fig, title: str, description: str) -> bytes:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Title": title, "Description": description})
    text = out.getvalue()
    # Responsive: drop the fixed size, keep the viewBox; name the image for screen readers.
    start = text.index("<svg")
    end = text.index(">", start)
    head = text[start:end]
    for attribute in ("width", "height"):
        head = _drop_attribute(head, attribute)
    head += f' role="img" aria-labelledby="svg-title svg-desc" preserveAspectRatio="xMidYMid meet" ' \
            f'style="width:100%;height:auto"'
    label = f'<title id="svg-title">{escape(title)}</title><desc id="svg-desc">{escape(description)}</desc>'
    return (text[:start] + head + ">" + label + text[end + 1:]).encode()


def _drop_attribute(tag: str, name: str) -> str:
    import re

    return re.sub(rf'\s{name}="[^"]*"', "", tag)


def information_svg(theta: list[float], information: list[float], label: str) -> bytes:
    """Test information and the standard error of θ, 1/√I, on one θ axis."""
    with _LOCK:
        fig, ax = _figure()
        theta_a, info = np.asarray(theta, float), np.asarray(information, float)
        ax.plot(theta_a, info, color="#1f4e79", linewidth=2.5, label="Information")
        ax.set_xlabel("θ", fontsize=FONT_SIZE)
        ax.set_ylabel("Information", fontsize=FONT_SIZE, color="#1f4e79")
        ax.tick_params(labelsize=FONT_SIZE - 2)
        other = ax.twinx()
        with np.errstate(divide="ignore"):
            se = np.where(info > 0, 1.0 / np.sqrt(info), np.nan)
        other.plot(theta_a, se, color="#b03a2e", linewidth=2.5, linestyle="--", label="Standard error")
        other.set_ylabel("Standard error of θ", fontsize=FONT_SIZE, color="#b03a2e")
        other.set_ylim(0, min(2.0, float(np.nanmax(se)) * 1.05 if np.isfinite(se).any() else 2.0))
        other.tick_params(labelsize=FONT_SIZE - 2)
        peak = int(np.argmax(info))
        return _svg(fig, f"Test information and standard error: {label}",
                    f"Information peaks at {info[peak]:.1f} at θ = {theta_a[peak]:.1f}, where the standard "
                    f"error is {se[peak]:.2f}.")


def _curves(theta: np.ndarray, params: np.ndarray) -> np.ndarray:
    from piaa.psychometrics import prob

    return np.asarray(prob(theta, params))


def icc_overview_svg(params: list[list[float]], roles: list[str]) -> bytes:
    """Every item's characteristic curve; pretest and new items drawn dark, the rest light."""
    with _LOCK:
        fig, ax = _figure()
        theta = np.linspace(-4, 4, 161)
        p = _curves(theta, np.asarray(params, float))
        for j, role in enumerate(roles):
            dark = role == "pretest"
            ax.plot(theta, p[:, j], color="#b03a2e" if dark else "#7f9fbf", linewidth=2 if dark else 1,
                    alpha=1.0 if dark else 0.6)
        ax.set_xlabel("θ", fontsize=FONT_SIZE)
        ax.set_ylabel("P(correct)", fontsize=FONT_SIZE)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=FONT_SIZE - 2)
        n_pretest = sum(r == "pretest" for r in roles)
        return _svg(fig, "Item characteristic curves",
                    f"{len(roles)} items; {n_pretest} pretest items drawn in red, the others in light blue.")


def item_svg(code: str, params: list[float], observed: list[list[float]],
             banked: list[float] | None = None) -> bytes:
    """One item's curve with the observed proportion correct in θ groups (and the banked
    curve of an anchor, dashed)."""
    with _LOCK:
        fig, ax = _figure()
        theta = np.linspace(-4, 4, 161)
        ax.plot(theta, _curves(theta, np.asarray([params], float))[:, 0], color="#1f4e79", linewidth=2.5,
                label="This calibration")
        if banked:
            ax.plot(theta, _curves(theta, np.asarray([banked], float))[:, 0], color="#555555", linewidth=2,
                    linestyle="--", label="Banked")
        if observed:
            obs = np.asarray(observed, float)
            ax.scatter(obs[:, 0], obs[:, 1], s=20 + 80 * obs[:, 2] / obs[:, 2].max(), color="#b03a2e",
                       label="Observed", zorder=3)
        ax.set_xlabel("θ", fontsize=FONT_SIZE)
        ax.set_ylabel("P(correct)", fontsize=FONT_SIZE)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=FONT_SIZE - 2)
        ax.legend(fontsize=FONT_SIZE - 3, loc="lower right")
        a, b = params[0], params[1]
        return _svg(fig, f"Item {code}: characteristic curve",
                    f"Slope {a:.2f}, difficulty {b:.2f}; dots are the proportions correct observed in "
                    f"{len(observed)} groups of candidates by θ.")
