"""Project types: one declarative row per kind of infrastructure project and its default service distance.

The names of the types (饮水安全 / Drinking water …) are those of :data:`bangfu.core.vocab.PROJECT_TYPE`;
this table adds only what planning needs: the service distance, its basis and where existing facilities are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bangfu.core.vocab import PROJECT_TYPE

__all__ = ["ProjectType", "PROJECT_TYPE_TABLE", "default_distances", "project_type"]


@dataclass(frozen=True)
class ProjectType:
    """A kind of infrastructure project and how far it serves households.

    ``existing`` says where today's completed facilities of this type are found (for the
    "new access only" option): ``"roads"`` = roads layer with status completed (hardened),
    ``"projects"`` = projects layer rows of this type with status completed.
    """

    key: str
    distance_m: float
    existing: Literal["roads", "projects"]
    basis_zh: str
    basis_en: str

    @property
    def zh(self) -> str:
        """The type's Chinese label (from the vocabulary)."""
        return PROJECT_TYPE.label(self.key, "zh")

    @property
    def en(self) -> str:
        """The type's English label (from the vocabulary)."""
        return PROJECT_TYPE.label(self.key, "en")

    def label(self, lang: str = "zh") -> str:
        """The type's label in ``lang``."""
        return PROJECT_TYPE.label(self.key, lang)


#: One row per project type of :data:`bangfu.core.vocab.PROJECT_TYPE`, in its order; distances are defaults the
#: page can change.
PROJECT_TYPE_TABLE: dict[str, ProjectType] = {
    p.key: p
    for p in (
        ProjectType("road_hardening", 2000, "roads",
                    "世界银行农村可达性指数(RAI)：2 公里内有全天候道路", "World Bank Rural Access Index: all-season road within 2 km"),
        ProjectType("drinking_water", 1000, "projects",
                    "集中供水管网就近覆盖，约 1 公里", "piped supply reaches nearby hamlets, about 1 km"),
        ProjectType("bridge", 3000, "projects",
                    "桥梁缩短两岸出行，约 3 公里", "a bridge shortens trips on both banks, about 3 km"),
        ProjectType("irrigation", 1000, "projects",
                    "灌区渠系两侧约 1 公里农田", "fields about 1 km either side of the canal"),
        ProjectType("clinic", 2500, "projects",
                    "步行约 30 分钟的基层医疗服务半径", "primary care within about 30 minutes' walk"),
        ProjectType("school", 2500, "projects",
                    "农村小学服务半径约 2.5 公里", "rural primary school catchment about 2.5 km"),
        ProjectType("broadband", 1500, "projects",
                    "光纤接入点覆盖约 1.5 公里", "fibre access point reach about 1.5 km"),
    )
}


def project_type(key: str) -> ProjectType:
    """The project type ``key`` — a code, a label or a synonym (饮水工程 → drinking_water); ValueError quoting
    the allowed ones otherwise."""
    try:
        return PROJECT_TYPE_TABLE[PROJECT_TYPE.parse(key) or key]
    except KeyError:
        raise ValueError(
            f"未知的项目类型 {key!r}；可用类型：{'、'.join(f'{k}（{p.zh}）' for k, p in PROJECT_TYPE_TABLE.items())}"
        ) from None


def default_distances() -> dict[str, float]:
    """Project type → default service distance in metres."""
    return {k: float(p.distance_m) for k, p in PROJECT_TYPE_TABLE.items()}
