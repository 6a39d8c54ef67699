"""A sphinx-gallery image scraper for figures made without pyplot."""


class FigureObjectScraper:
    """Save the matplotlib figures of an example that pyplot does not track.

    sphinx-gallery's own scraper finds only figures made through pyplot.
    ``sktricks.bench.plot_ranks`` and the explainers' plots build a
    ``Figure`` directly, so this scraper looks for them among the example's
    global variables.
    """

    def __init__(self):
        self._saved = {}

    def __repr__(self):
        # A stable repr, as sphinx-gallery gives its own callable settings,
        # keeps the configuration from looking changed between builds.
        return "FigureObjectScraper"

    def __call__(self, block, block_vars, gallery_conf):
        from matplotlib.figure import Figure
        from sphinx_gallery.scrapers import figure_rst

        saved = self._saved.setdefault(block_vars["src_file"], set())
        paths = []
        for value in list(block_vars["example_globals"].values()):
            if not isinstance(value, Figure) or id(value) in saved:
                continue
            saved.add(id(value))
            # pyplot's scraper, which runs next, saves and closes these.
            if value.canvas.manager is not None:
                continue
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=100)
            paths.append(path)
        return figure_rst(paths, gallery_conf["src_dir"])
