"""Live-session models, one module per concept: the session and its clock, the wall, polls, worksheets,
breakout groups, the Explain phase, the Evaluate phase."""

from facilitation.models.evaluate import *  # noqa: F403
from facilitation.models.explain import *  # noqa: F403
from facilitation.models.groups import *  # noqa: F403
from facilitation.models.polls import *  # noqa: F403
from facilitation.models.session import (  # noqa: F401
    CODE_ALPHABET,
    CODE_LENGTH,
    AdjustmentReason,
    BudgetAdjustment,
    LiveSession,
    LiveSessionQuerySet,
    Participant,
    Pause,
    PhaseSegment,
    RetentionAction,
    RetentionLog,
    Role,
    SessionPhase,
    new_code,
    normalize_code,
)
from facilitation.models.support import *  # noqa: F403
from facilitation.models.wall import *  # noqa: F403
from facilitation.models.worksheets import *  # noqa: F403
