"""Live-session models, one module per concept: the session and its clock, the wall, polls, worksheets,
breakout groups, the Explain phase, the Evaluate phase."""

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
from facilitation.tools.action_plan.models import *  # noqa: F403
from facilitation.tools.groups.models import *  # noqa: F403
from facilitation.tools.polls.models import *  # noqa: F403
from facilitation.tools.slides.models import *  # noqa: F403
from facilitation.tools.support.models import *  # noqa: F403
from facilitation.tools.wall.models import *  # noqa: F403
from facilitation.tools.worksheets.models import *  # noqa: F403
