"""What every page shares, one module a job; pages use them through this package (`shared.current()`):

- `state`: where the checkpoints are, the session state app.py initialises, the keys kept across pages, the URL;
- `loaders`: cached model, data, encodings, decodes and projections, the `Context` of a checkpoint, and
  `checkpoint_infos` (every readable checkpoint's info, for pages that pick among them);
- `latent_map`: the map figure of the test set (`latent_map` for a Context, `scatter_map` for any points), and
  `point_map_args`, a Context's arguments for the canvas map (components.point_map) that Explore draws;
- `decoder_panel`: sliders over z decoded in the browser;
- `header`: the title and introduction every page starts with (`header_with_context` for a checkpoint's pages,
  `header_with_job` for the pages that run a background job).
"""

from explorer.shared.decoder_panel import decoder_panel
from explorer.shared.header import JobFrame, header, header_with_context, header_with_job
from explorer.shared.latent_map import (
    HOVER_PX,
    PROJECTIONS,
    axis_titles,
    latent_map,
    point_map_args,
    scatter_map,
)
from explorer.shared.loaders import (
    Context,
    checkpoint_infos,
    current,
    load_model,
    load_test_set,
    open_context,
    projection,
)
from explorer.shared.state import (
    DEFAULT_CHECKPOINT,
    REPO,
    checkpoints_root,
    init_state,
    keep_page_state,
    query_floats,
    query_int,
    reset_selection,
    resolve_checkpoint,
    session_job,
    set_defaults,
    set_query,
)

__all__ = ["Context", "DEFAULT_CHECKPOINT", "HOVER_PX", "JobFrame", "PROJECTIONS", "REPO", "axis_titles",
           "checkpoint_infos", "checkpoints_root", "current", "decoder_panel", "header", "header_with_context",
           "header_with_job", "init_state", "keep_page_state", "latent_map", "load_model", "load_test_set",
           "open_context", "point_map_args", "projection", "query_floats", "query_int", "reset_selection",
           "resolve_checkpoint", "scatter_map", "session_job", "set_defaults", "set_query"]
