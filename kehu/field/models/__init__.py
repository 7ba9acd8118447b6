from kehu.field.models.handover import Handover, HandoverItem, HandoverKind, HandoverState
from kehu.field.models.profile import FieldProfile
from kehu.field.models.territory import SuggestionState, TerritorySuggestion
from kehu.field.models.visits import (
    UNRETURNED,
    DayRoute,
    PlanState,
    RepScopedQuerySet,
    Visit,
    VisitOutcome,
    VisitPlan,
    VisitPurpose,
    VisitReason,
    VisitStatus,
)

__all__ = [
    "UNRETURNED",
    "DayRoute",
    "FieldProfile",
    "Handover",
    "HandoverItem",
    "HandoverKind",
    "HandoverState",
    "PlanState",
    "RepScopedQuerySet",
    "SuggestionState",
    "TerritorySuggestion",
    "Visit",
    "VisitOutcome",
    "VisitPlan",
    "VisitPurpose",
    "VisitReason",
    "VisitStatus",
]
