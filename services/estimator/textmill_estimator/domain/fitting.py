"""Weighted least squares that leans on a prior until data outweighs it, with old data
fading, kept as sufficient statistics (so it is stored as one small document and folded in
one observation at a time) and with non-negative coefficients.

Minimises Σ wᵢ (yᵢ − xᵢ·θ)² + Σⱼ λⱼ (θⱼ − priorⱼ)²: with no observation the fit is the
prior; a single observation is explained as the prior's shape allows.
"""

from dataclasses import dataclass, field


@dataclass
class LeastSquares:
    prior: list[float]
    strength: list[float]  # λ of each coefficient
    decay: float = 0.98  # each observation, the older ones' weight is multiplied by this
    xtx: list[list[float]] = field(default_factory=list)
    xty: list[float] = field(default_factory=list)
    weight: float = 0.0  # Σ w, decayed: how much data there is
    observations: int = 0

    def __post_init__(self) -> None:
        k = len(self.prior)
        if len(self.strength) != k:
            raise ValueError("a strength for each coefficient of the prior")
        self.xtx = self.xtx or [[0.0] * k for _ in range(k)]
        self.xty = self.xty or [0.0] * k

    def observe(self, x: list[float], y: float, w: float = 1.0) -> None:
        d = self.decay
        for i, xi in enumerate(x):
            for j, xj in enumerate(x):
                self.xtx[i][j] = self.xtx[i][j] * d + w * xi * xj
            self.xty[i] = self.xty[i] * d + w * xi * y
        self.weight = self.weight * d + w
        self.observations += 1

    def coefficients(self) -> list[float]:
        """θ ≥ 0: a coefficient that would go negative is held at 0 and the rest refitted."""
        free = list(range(len(self.prior)))
        while True:
            theta = self._solve(free)
            negative = [j for j in free if theta[j] < 0]
            if not negative:
                return theta
            free = [j for j in free if j not in negative]

    def _solve(self, free: list[int]) -> list[float]:
        k = len(self.prior)
        theta = [0.0] * k
        if not free:
            return theta
        a = [[self.xtx[i][j] + (self.strength[i] if i == j else 0.0) for j in free] for i in free]
        b = [self.xty[i] + self.strength[i] * self.prior[i] for i in free]
        for j, value in zip(free, _gauss(a, b), strict=True):
            theta[j] = value
        return theta

    def as_dict(self) -> dict:
        """As stored: `xtx` row after row in one list (FerretDB stores no nested arrays)."""
        return {
            "prior": self.prior,
            "strength": self.strength,
            "decay": self.decay,
            "xtx": [value for row in self.xtx for value in row],
            "xty": self.xty,
            "weight": self.weight,
            "observations": self.observations,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "LeastSquares":
        k, flat = len(data["prior"]), data["xtx"]
        return cls(**{**data, "xtx": [flat[i * k : (i + 1) * k] for i in range(k)]})


def _gauss(a: list[list[float]], b: list[float]) -> list[float]:
    """x of a·x = b, by Gaussian elimination with partial pivoting (a is small and, with the
    prior's strengths on its diagonal, never singular)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if m[col][col] == 0:
            raise ValueError("singular system")
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x
