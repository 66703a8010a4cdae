"""How long a tenant's files and ended runs are kept: one age for every tenant, or a
tenant's own. Pure: the cleanup job (`adapters/retention.py`) asks it what has expired."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from textmill_runs import is_terminal


@dataclass(frozen=True, kw_only=True)
class RetentionPolicy:
    seconds: int
    by_tenant: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ages = {"every tenant": self.seconds, **self.by_tenant}
        if bad := [who for who, age in ages.items() if age <= 0]:
            raise ValueError(f"a retention age must be over 0 seconds; not for {bad}")

    def age(self, tenant: str) -> timedelta:
        return timedelta(seconds=self.by_tenant.get(tenant, self.seconds))

    def file_expired(self, tenant: str, uploaded_at: datetime, now: datetime) -> bool:
        return uploaded_at <= now - self.age(tenant)

    def run_expired(
        self, tenant: str, status: str, ended_at: datetime | None, now: datetime
    ) -> bool:
        """An ended run, once its age has passed since it ended; a run under way never (its
        workers are still writing), however old."""
        return is_terminal(status) and ended_at is not None and ended_at <= now - self.age(tenant)
