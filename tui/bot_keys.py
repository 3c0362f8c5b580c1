"""The footer of the bots browser: every key that works now, wrapped onto a second line when the terminal is
narrow (Textual's Footer keeps one line and hides what does not fit at 80 columns)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class KeysFooter(Widget):
    """The screen's shown bindings that its `check_action` allows now, as "key description" items."""

    DEFAULT_CSS = """
    KeysFooter { dock: bottom; height: auto; background: $footer-background; color: $footer-foreground; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)

    def _changed(self, screen) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh(layout=True)

    def items(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        found = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            found.append((self.app.get_key_display(binding), binding.description))
        return found

    def lines(self, width: int) -> list[Text]:
        lines: list[Text] = []
        line = Text()
        for key, description in self.items():
            item = Text.assemble((f" {key}", "bold"), f" {description} ")
            if line and line.cell_len + item.cell_len > width:
                lines.append(line)
                line = Text()
            line.append_text(item)
        if line or not lines:
            lines.append(line)
        return lines

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.size.width or self.app.size.width))
