"""The terminal UI (Textual): the only part of botship that imports textual."""
