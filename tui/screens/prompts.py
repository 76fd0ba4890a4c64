"""Small modal screens: help, a path picker and a URL prompt."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, Markdown

HELP = """\
# emotion-tui keys

| key | action |
| --- | --- |
| `n` / `p` | next / previous source from the command line |
| `0`-`9` | camera with that index |
| `o` | open a video, image or folder |
| `u` | open a stream URL |
| `space` | pause / resume |
| `r` | start / stop recording results (JSON lines) |
| `w` | OpenCV window with the annotated frame (needs a display) |
| `f` | frame preview on / off |
| `t` | training screen |
| `?` | this help |
| `q` | quit |

Move the cursor in the faces table to choose the face whose trends are shown.
`ctrl+p` opens the command palette with every action.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 70; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)
            yield Label("esc closes")


class MediaFilter(DirectoryTree):
    """A directory tree that lists folders and media files only."""

    MEDIA = {
        ".mp4",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".m4v",
        ".jpg",
        ".jpeg",
        ".png",
        ".bmp",
        ".webp",
        ".tif",
        ".tiff",
    }

    def filter_paths(self, paths):
        return [
            p
            for p in paths
            if not p.name.startswith(".")
            and (p.is_dir() or p.suffix.lower() in self.MEDIA)
        ]


class OpenPathScreen(ModalScreen[str | None]):
    """Pick a file in the tree, or type a path (a folder opens as a folder source)."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]
    DEFAULT_CSS = """
    OpenPathScreen { align: center middle; }
    OpenPathScreen > Vertical { width: 90%; height: 80%; border: round $accent;
        background: $panel; }
    OpenPathScreen DirectoryTree { height: 1fr; }
    """

    def __init__(self, start: Path):
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                "Open a video, image or folder: pick a file or type a path, "
                "enter opens, esc cancels"
            )
            yield Input(placeholder="path", id="path")
            yield MediaFilter(self.start, id="tree")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_directory_tree_file_selected(
        self, event: DirectoryTree.FileSelected
    ) -> None:
        self.dismiss(str(event.path))

    def on_directory_tree_directory_selected(
        self, event: DirectoryTree.DirectorySelected
    ) -> None:
        self.query_one(Input).value = str(event.path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class UrlScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "cancel")]
    DEFAULT_CSS = """
    UrlScreen { align: center middle; }
    UrlScreen > Vertical { width: 80; height: auto; border: round $accent;
        background: $panel; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Stream URL (rtsp://, http://, ...): enter opens, esc cancels")
            yield Input(placeholder="rtsp://user:password@host/stream", id="url")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
