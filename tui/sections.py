"""A step of the new-deployment wizard: what every section shares.

Each section draws part of the deploy session (botship/session.py), feeds it the answers typed,
and says whether the user may go on (`ready`). Sections stay mounted while hidden, so going back
finds everything as it was left. The steps themselves live in platform_step.py, credentials.py,
bot_step.py, mode_step.py, environment.py, sizing.py and review.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.containers import VerticalScroll
from textual.message import Message

from botship.session import DeploySession

from .widgets import Field


class Section(VerticalScroll):
    """One step of the wizard."""

    key: ClassVar[str]
    title: ClassVar[str]

    class Changed(Message):
        """Something the section's readiness depends on changed."""

    def __init__(self, state: DeploySession) -> None:
        super().__init__(id=f"section-{self.key}", classes="section")
        self.state = state

    @property
    def session(self) -> DeploySession:
        return self.state

    @property
    def answers(self) -> dict[str, Any]:
        return self.state.answers

    def ready(self) -> bool:
        return all(field.valid for field in self.query(Field) if self._displayed(field))

    def _displayed(self, widget) -> bool:
        """Shown within this section: neither it nor a container up to the section is hidden."""
        while widget is not None and widget is not self:
            if not widget.display:
                return False
            widget = widget.parent
        return True

    def shown(self) -> None:
        """Called each time the section comes into view."""

    def changed(self) -> None:
        self.post_message(self.Changed())
