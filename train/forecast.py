"""Forecast a loss curve: fit L(D) = E + A * D^-alpha to (tokens, loss) points.

Skywork-13B (arXiv:2310.19341 §4.1, point 5) notes that validation loss falls smoothly enough with
tokens seen to tell how much more training a target needs. The form is the data term of the
Chinchilla law (Hoffmann et al. 2022, arXiv:2203.15556: L = E + B / D^beta).

Fit: for a fixed alpha the model is linear in (E, A), solved by least squares; alpha is found by a
log-spaced grid search then golden-section refinement, with A > 0 required (a falling curve). No
random starts, so the fit is deterministic. The interval comes from refitting on bootstrap
resamples of the points. :func:`warnings` says when not to trust the result.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

ALPHA_RANGE = (0.01, 4.0)
MIN_POINTS = 4  # three parameters


class ForecastError(ValueError):
    """Points that no power law with a plateau can be fitted to."""


@dataclasses.dataclass(frozen=True)
class PowerLaw:
    E: float
    A: float
    alpha: float
    rmse: float
    points: int

    def __call__(self, tokens):
        return self.E + self.A * np.asarray(tokens, dtype=float) ** -self.alpha

    def tokens_to(self, target: float) -> float:
        """Tokens at which the fitted curve reaches ``target`` (inf when ``target <= E``)."""
        if target <= self.E:
            return math.inf
        return float((self.A / (target - self.E)) ** (1.0 / self.alpha))

    @property
    def at_bound(self) -> bool:
        lo, hi = ALPHA_RANGE
        return self.alpha <= lo * 1.05 or self.alpha >= hi / 1.05


def _solve(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[float, float, float]:
    """(sse, E, A') of the least-squares fit y = E + A' x^-alpha; inf when A' <= 0."""
    design = np.stack([np.ones_like(x), x ** -alpha], axis=1)
    (e, a), *_ = np.linalg.lstsq(design, y, rcond=None)
    if a <= 0:
        return math.inf, e, a
    return float(np.sum((design @ np.array([e, a]) - y) ** 2)), float(e), float(a)


def fit(tokens, losses) -> PowerLaw:
    d = np.asarray(tokens, dtype=float)
    y = np.asarray(losses, dtype=float)
    if d.shape != y.shape or d.ndim != 1:
        raise ForecastError("tokens and losses must be two equal-length lists")
    if len(np.unique(d)) < MIN_POINTS:
        raise ForecastError(f"{len(np.unique(d))} distinct points: at least {MIN_POINTS} are needed for E, A, alpha")
    if np.any(d <= 0) or not np.all(np.isfinite(y)):
        raise ForecastError("tokens must be positive and losses finite")
    scale = float(d.max())  # x in (0, 1]: keeps x^-alpha well conditioned
    x = d / scale
    grid = np.geomspace(*ALPHA_RANGE, 240)
    sse = np.array([_solve(x, y, a)[0] for a in grid])
    if not np.isfinite(sse).any():
        raise ForecastError("the loss does not fall with tokens: no power law with A > 0 fits")
    best = int(np.argmin(sse))
    lo, hi = np.log(grid[max(best - 1, 0)]), np.log(grid[min(best + 1, len(grid) - 1)])
    golden = (math.sqrt(5) - 1) / 2
    for _ in range(60):  # golden section on log alpha inside the bracketing grid cells
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        if _solve(x, y, math.exp(a))[0] <= _solve(x, y, math.exp(b))[0]:
            hi = b
        else:
            lo = a
    alpha = math.exp((lo + hi) / 2)
    err, e, a_scaled = _solve(x, y, alpha)
    if not math.isfinite(err):
        alpha = float(grid[best])
        err, e, a_scaled = _solve(x, y, alpha)
    return PowerLaw(E=e, A=a_scaled * scale ** alpha, alpha=alpha, rmse=math.sqrt(err / len(y)), points=len(y))


def bootstrap(tokens, losses, target: float | None, resamples: int = 200, seed: int = 0) -> dict:
    """Refit on ``resamples`` resamples (with replacement) of the points: the 5th-95th percentile
    of the tokens to ``target`` and of E, and the share of refits for which the target is unreachable."""
    d, y = np.asarray(tokens, dtype=float), np.asarray(losses, dtype=float)
    rng = np.random.default_rng(seed)
    reach, plateaus, fits = [], [], []
    for _ in range(resamples):
        idx = rng.integers(0, len(d), len(d))
        if len(np.unique(d[idx])) < MIN_POINTS:
            continue
        try:
            law = fit(d[idx], y[idx])
        except ForecastError:
            continue
        fits.append(law)
        plateaus.append(law.E)
        if target is not None:
            reach.append(law.tokens_to(target))
    out = {"refits": len(fits), "E_interval": _interval(plateaus), "fits": fits}
    if target is not None:
        finite = [r for r in reach if math.isfinite(r)]
        out["tokens_interval"] = _interval(finite)
        out["unreachable_share"] = 1 - len(finite) / len(reach) if reach else 1.0
    return out


def _interval(values: list[float]) -> list[float] | None:
    return [float(np.percentile(values, 5)), float(np.percentile(values, 95))] if values else None


def backtest(tokens, losses) -> dict:
    """Fit on the first half of the points; the error of the predicted loss at the last point."""
    d, y = np.asarray(tokens, dtype=float), np.asarray(losses, dtype=float)
    half = len(d) // 2
    law = fit(d[:half], y[:half])
    predicted = float(law(d[-1]))
    return {"fit_points": half, "last_tokens": float(d[-1]), "actual": float(y[-1]), "predicted": predicted,
            "error": predicted - float(y[-1]), "relative_error": (predicted - float(y[-1])) / float(y[-1]),
            "extrapolation": float(d[-1] / d[half - 1]), "fit": dataclasses.asdict(law)}


def warnings(law: PowerLaw, tokens, target: float | None, boot: dict | None) -> list[str]:
    """Reasons not to trust the forecast (empty: none found)."""
    d = np.asarray(tokens, dtype=float)
    out = []
    if law.points < 8:
        out.append(f"only {law.points} points: three parameters from so few points are loose")
    if law.at_bound:
        out.append(f"no curvature yet: alpha={law.alpha:.3g} sits at the edge of its search range "
                   f"{ALPHA_RANGE}, so the plateau E is not identified")
    if law.E <= 0:
        out.append(f"fitted plateau E={law.E:.3g} <= 0: the points do not bend toward a floor yet")
    if target is not None:
        reach = law.tokens_to(target)
        if not math.isfinite(reach):
            out.append(f"target {target:g} is at or below the fitted plateau E={law.E:.4g}: never reached")
        elif reach > 10 * d.max():
            out.append(f"extrapolates {reach / d.max():.0f}x beyond the last point")
        if boot and boot.get("unreachable_share", 0) > 0.1:
            out.append(f"{boot['unreachable_share']:.0%} of the resampled fits never reach the target")
        interval = (boot or {}).get("tokens_interval")
        if interval and interval[0] > 0 and interval[1] / interval[0] > 3:
            out.append(f"wide interval: the 95th percentile is {interval[1] / interval[0]:.1f}x the 5th")
    return out


def plot(tokens, losses, law: PowerLaw, boot: dict | None, target: float | None, path: str, title: str,
         held_out: int = 0) -> None:
    """The points, the fit (extended to the target if reachable), the resampled fits' 5-95% band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d, y = np.asarray(tokens, dtype=float), np.asarray(losses, dtype=float)
    end = d.max()
    if target is not None and math.isfinite(law.tokens_to(target)):
        end = max(end, min(law.tokens_to(target), 100 * d.max()))
    grid = np.geomspace(d.min(), end * 1.05, 200)
    fig, ax = plt.subplots(figsize=(6, 4))
    used = len(d) - held_out
    ax.scatter(d[:used], y[:used], s=14, color="black", label="points fitted", zorder=3)
    if held_out:
        ax.scatter(d[used:], y[used:], s=14, facecolors="none", edgecolors="black", label="held out", zorder=3)
    if boot and boot.get("fits"):
        curves = np.array([f(grid) for f in boot["fits"]])
        ax.fill_between(grid, np.percentile(curves, 5, axis=0), np.percentile(curves, 95, axis=0),
                        color="tab:blue", alpha=0.2, label="resampled fits, 5-95%")
    ax.plot(grid, law(grid), color="tab:blue",
            label=f"E + A D^-α: E={law.E:.3f}, α={law.alpha:.3f}")
    if target is not None:
        ax.axhline(target, color="red", ls=":", lw=1, label=f"target {target:g}")
    ax.set_xscale("log")
    ax.set_xlabel("tokens seen")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def points(records: list[dict], key: str, field: str = "normalized_loss", stage: str | None = None,
           min_step: int = 0) -> tuple[list[float], list[float]]:
    """(tokens, value) of every metrics.jsonl record holding ``key`` (``field`` of a mapping value,
    as eval/<set> records hold), after ``min_step`` and in ``stage`` if given."""
    tokens, values = [], []
    for r in records:
        if key not in r or r["step"] <= min_step or (stage and r.get("stage") != stage):
            continue
        value = r[key]
        if isinstance(value, dict):
            if field not in value:
                raise ForecastError(f"{key} has no field {field!r} (fields: {sorted(value)})")
            value = value[field]
        tokens.append(float(r["tokens"]))
        values.append(float(value))
    if not tokens:
        known = sorted({k for r in records for k in r if isinstance(r[k], (int, float, dict))})
        raise ForecastError(f"no record holds {key!r}{f' in stage {stage!r}' if stage else ''} "
                            f"after step {min_step} (keys: {', '.join(known)})")
    return tokens, values
